"""The neutral JSON Lines format: one record per line, so any helpdesk can be fed.

Lines are ``user`` and ``group`` records first, then one ``ticket`` record per line with its events.
The format is documented in ``docs/format.md``; its JSON Schema is :func:`json_schema`.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from intently.errors import InputError
from intently.model import MAX_ID, MAX_ID_TEXT, MIN_ID, Directory, Group, Id, TicketHistory, User, as_id, iso
from intently.model.codec import (
    event_from_record,
    group_from_record,
    group_to_record,
    history_to_record,
    ticket_from_record,
    user_from_record,
    user_to_record,
)
from intently.model.repeats import Repeats, differing_copies, unique_events
from intently.model.zones import known_zone, zone_hint
from intently.policy.messages import BOUNDS, closest, type_words


def _id_of_text(text: str, info: ValidationInfo) -> Id:
    """A text id as the model keeps it (:func:`intently.model.as_id`): digits are that number. The reader is told
    (``info.context``) that the line's values differ from its JSON."""
    found = as_id(text)
    if isinstance(found, int):
        if not MIN_ID <= found <= MAX_ID:
            raise ValueError(f"must be at most {MAX_ID} (a number written as text is a number), got {text!r}")
        _changed(info)
    return found


def _changed(info: ValidationInfo) -> None:
    if isinstance(info.context, dict):
        info.context[_CHANGED] = True


_CHANGED = "changed"


IdValue = (
    Annotated[StrictInt, Field(ge=MIN_ID, le=MAX_ID)]
    | Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_TEXT), AfterValidator(_id_of_text)]
)
"""An id: a 64-bit integer (as Zendesk's) or a text of at most 64 characters. A text of digits (``"10"``) is that
number (``10``): the same id wherever it is written, either way."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserRecord(_Record):
    """A person: a customer (``end-user``), an ``agent`` or an ``admin``."""

    kind: Literal["user"]
    id: IdValue
    name: StrictStr
    role: Literal["end-user", "agent", "admin"] = "end-user"
    email: StrictStr | None = None
    time_zone: StrictStr | None = Field(None, description="IANA time zone, e.g. Europe/Amsterdam")
    fields: dict[str, Any] = Field(
        default_factory=dict, description='Custom user fields, e.g. {"support_region": "emea"}'
    )

    @field_validator("time_zone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is not None and not known_zone(value):
            raise ValueError(f"{value!r} is not an IANA time zone: {zone_hint(value)}")
        return value


class GroupRecord(_Record):
    kind: Literal["group"]
    id: IdValue
    name: StrictStr
    members: list[IdValue] = Field(default_factory=list)


class _EventBase(_Record):
    id: IdValue
    at: AwareDatetime = Field(description="When it happened, ISO 8601 with a time zone")
    actor: IdValue | None = Field(description="Who made the change (for a comment: who submitted it)")
    update: IdValue | None = Field(None, description="Events made together share an update id; defaults to the id")
    via: StrictStr | None = Field(None, description="Channel: web, email, api; 'rule' for triggers and automations")


class CommentEvent(_EventBase):
    type: Literal["comment"]
    author: IdValue | None = Field(None, description="Defaults to the actor")
    public: StrictBool
    body: StrictStr = ""


class AssigneeEvent(_EventBase):
    type: Literal["assignee"]
    assignee: IdValue | None


class WatchersEvent(_EventBase):
    type: Literal["followers", "ccs"]
    added: list[IdValue] = Field(default_factory=list)
    removed: list[IdValue] = Field(default_factory=list)


class TagsEvent(_EventBase):
    type: Literal["tags"]
    added: list[StrictStr] = Field(default_factory=list)
    removed: list[StrictStr] = Field(default_factory=list)


class FieldEvent(_EventBase):
    type: Literal["field"]
    field: StrictStr = Field(description="priority, group_id, or a custom field such as preferred_region")
    value: Any

    @model_validator(mode="after")
    def _group_id(self, info: ValidationInfo) -> FieldEvent:
        """A ``group_id`` set to a text of digits is the group of that number, as the ticket's ``group_id``."""
        if self.field.lower() == "group_id" and isinstance(self.value, str) and self.value != as_id(self.value):
            self.value = as_id(self.value)
            _changed(info)
        return self


Status = Literal["new", "open", "pending", "hold", "solved", "closed"]
"""A ticket's status (:data:`intently.model.TICKET_STATUSES`)."""


class StatusEvent(_EventBase):
    type: Literal["status"]
    status: Status


Score = Literal["good", "bad", "offered", "unoffered"]
"""A satisfaction score (:data:`intently.model.SATISFACTION_SCORES`)."""


class SatisfactionEvent(_EventBase):
    """The customer rated the ticket, or the survey was offered."""

    type: Literal["satisfaction"]
    score: Score = Field(
        description="good or bad: a rating; offered (survey sent, no answer yet) and unoffered are not ratings"
    )


EventRecord = Annotated[
    CommentEvent | AssigneeEvent | WatchersEvent | TagsEvent | FieldEvent | StatusEvent | SatisfactionEvent,
    Field(discriminator="type"),
]


class TicketRecord(_Record):
    """One ticket as it is now, with every event of its history."""

    kind: Literal["ticket"]
    id: IdValue
    created_at: AwareDatetime
    requester_id: IdValue | None = None
    subject: StrictStr = ""
    status: Status | None = None
    priority: StrictStr | None = None
    tags: list[StrictStr] = Field(default_factory=list)
    assignee_id: IdValue | None = None
    group_id: IdValue | None = None
    fields: dict[str, Any] = Field(default_factory=dict, description='e.g. {"preferred_region": "emea"}')
    satisfaction: Score | None = Field(
        None, description="The satisfaction score now; where the events hold satisfaction events, they decide"
    )
    events: list[EventRecord] = Field(default_factory=list)


class NeutralLine(BaseModel):
    """One line of a neutral JSON Lines file."""

    root: Annotated[UserRecord | GroupRecord | TicketRecord, Field(discriminator="kind")]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one line of the neutral format."""
    schema = NeutralLine.model_json_schema()
    root = schema["properties"]["root"]
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://intently.dev/schema/neutral-line.json",
        "title": "intently neutral format: one line",
        "description": "A user, group or ticket record. User and group records come before ticket records.",
        **{key: value for key, value in root.items() if key != "title"},
        "$defs": schema.get("$defs", {}),
    }
    return out


_RECORDS: dict[str, type[BaseModel]] = {
    "user": UserRecord,
    "group": GroupRecord,
    "ticket": TicketRecord,
    "comment": CommentEvent,
    "assignee": AssigneeEvent,
    "followers": WatchersEvent,
    "ccs": WatchersEvent,
    "tags": TagsEvent,
    "field": FieldEvent,
    "status": StatusEvent,
    "satisfaction": SatisfactionEvent,
}
"""The record (or event) of each ``kind`` (``type``): the tags pydantic puts in an error's location."""

_TYPE_MISMATCH = frozenset({"int_type", "string_type", "bool_type", "float_type", "list_type", "dict_type"})


def _path(loc: tuple[int | str, ...]) -> tuple[str, type[BaseModel] | None]:
    """The field path a person reads (``events[3].assignee``) of a pydantic error's location, and the record it is a
    field of: without pydantic's discriminator tags and the names it gives a union's branches (``constrained-int``)."""
    parts: list[str] = []
    model: type[BaseModel] | None = None
    named = False  # the field of the current record is named: a text after it is a union branch
    previous: int | str = "root"
    for part in loc:
        is_tag = isinstance(part, str) and part in _RECORDS and (previous == "root" or isinstance(previous, int))
        previous = part
        if part == "root":
            continue
        if is_tag:
            model, named = _RECORDS[str(part)], False
        elif isinstance(part, int):
            parts.append(f"[{part}]")
        elif not named and (model is None or part in model.model_fields):
            parts.append(f".{part}" if parts else part)
            named = True
    return "".join(parts), model


def _describe(errors: list[Any]) -> tuple[str, str]:
    """(field path, message) of a line's first problem (pydantic's errors for it: one per branch of a union)."""
    first = errors[0]
    path, model = _path(first["loc"])
    kind = first["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):  # the kind of a record or the type of an event
        discriminator = str((first.get("ctx") or {}).get("discriminator", "")).strip("'")
        path = f"{path}.{discriminator}" if path else discriminator
        if kind == "union_tag_not_found":
            return path, "required field is missing"
        return path, _plain(first)
    if kind == "extra_forbidden":  # the unknown field is the location's last part
        base, model = _path(first["loc"][:-1])
        name = str(first["loc"][-1])
        return f"{base}.{name}" if base else name, _unknown_field(name, model)
    same = [error for error in errors if _path(error["loc"])[0] == path]
    matched = [error for error in same if error["type"] not in _TYPE_MISMATCH]
    if matched:  # the branch of the value's type says what is wrong with it (a bound, a length)
        return path, _plain(matched[0])
    words = [type_words(error["type"]) for error in same]
    if len(same) > 1 and all(words):  # no branch's type: what each would have taken
        return path, f"must be {' or '.join(dict.fromkeys(str(w) for w in words))}{_given(first)}"
    return path, _plain(first)


def _unknown_field(name: str, model: type[BaseModel] | None) -> str:
    """``unknown field: did you mean 'assignee_id'? (known here: ...)``."""
    known = list(model.model_fields) if model is not None else []
    close = closest(name, known)
    return (
        "unknown field"
        + (f": did you mean {close!r}?" if close else "")
        + (f" (known here: {', '.join(known)})" if known else "")
    )


def _given(error: Any) -> str:
    return "" if "input" not in error or isinstance(error["input"], dict | list) else f", got {error['input']!r}"


def _plain(error: Any) -> str:
    """A pydantic error in words a person reads (not the library's "Input should be ..."), with the value given: the
    policy's words for types and bounds (:mod:`intently.policy.messages`)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    given = _given(error)
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags', '')}, got {ctx.get('tag')!r}"
    if kind == "literal_error":
        return f"must be {ctx.get('expected', 'one of the allowed values')}{given}"
    if kind in BOUNDS:
        return f"must be {BOUNDS[kind]} {next(iter(ctx.values()), '')}{given}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long{given}"
    if kind == "string_too_short":
        return f"must not be empty{given}"
    words = type_words(kind)
    return f"must be {words}{given}" if words else str(error["msg"]) + given


def _ticket_key(data: Any) -> Id | None:
    """The id of a ticket line, read without validating it (None for any other line)."""
    if not isinstance(data, dict) or data.get("kind") != "ticket":
        return None
    key = data.get("id")
    if isinstance(key, str):
        return as_id(key)
    return key if isinstance(key, int) and not isinstance(key, bool) else None


def _numbered(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """The lines of a file with their numbers, without a UTF-8 byte order mark at its start (some editors write
    one)."""
    for number, raw in enumerate(handle, start=1):
        yield number, raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw


def _not_json(raw: bytes, exc: orjson.JSONDecodeError) -> str:
    """Why a line is not JSON, in words: not UTF-8, cut short, or where the JSON breaks."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        column = len(raw[: bad.start].decode("utf-8", "replace")) + 1
        return (
            f"the file is not UTF-8 (byte 0x{raw[bad.start]:02x} at column {column} of this line): "
            "re-save it as UTF-8 and read it again"
        )
    if exc.msg.startswith("unexpected end of data"):
        if not raw.endswith(b"\n"):  # the file's last line
            return "the line ends early (its record is not complete): was the file cut off?"
        return "the line ends before its record does: each record must be on one line"
    return f"not valid JSON ({exc.msg} at column {exc.colno})"


@dataclass(slots=True)
class _Unknown:
    """A user named but not defined: their warning (where it is among the reader's, its text) and how many more
    times the file names them."""

    index: int
    text: str
    more: int = 0


class NeutralReader:
    """Reads a neutral ``.jsonl`` file: the directory first, then tickets one by one.

    A record repeated in the file is read once (see :mod:`intently.model.repeats`): the last line with a user's,
    group's or ticket's id is the one in force. A cheap first pass notes the last line of each ticket, so tickets
    still stream one at a time.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError("file not found", file=str(self.path))
        self.directory = Directory()
        self.warnings: list[str] = []
        self._user_lines: dict[Id, int] = {}
        self._unknown: dict[Id, _Unknown] = {}
        self._not_agents: set[Id] = set()
        self._first_ticket: tuple[int, dict[str, Any]] | None = None
        self._last_line = self._scan_tickets()
        self._lines = self._records()
        self._read_directory()
        if not self.directory.users and not self.directory.groups and self._first_ticket is None:
            raise InputError(
                "no records (a user, group or ticket on each line): is this the file you meant?", file=str(self.path)
            )

    def _where(self, number: int) -> str:
        return f"{self.path.name} line {number}"

    def _scan_tickets(self) -> dict[Id, int]:
        """First pass: the last line of each ticket; a warning for each ticket whose copies differ."""
        last: dict[Id, tuple[int, int]] = {}
        lines: dict[Id, list[int]] = {}
        differing: set[Id] = set()
        with self.path.open("rb") as handle:
            for number, raw in _numbered(handle):
                text = raw.strip()
                try:
                    key = _ticket_key(orjson.loads(text)) if text else None
                except orjson.JSONDecodeError:
                    continue  # the reading pass names the line
                if key is None:
                    continue
                digest = hash(text)
                earlier = last.get(key)
                if earlier is not None:
                    lines.setdefault(key, [earlier[0]]).append(number)
                    if earlier[1] != digest:
                        differing.add(key)
                last[key] = (number, digest)
        for key in differing:
            self.warnings.append(differing_copies(f"ticket {key}", [self._where(n) for n in lines[key]]))
        return {key: number for key, (number, _) in last.items()}

    def _records(self) -> Iterator[tuple[int, Any, dict[str, Any]]]:
        with self.path.open("rb") as handle:
            for number, raw in _numbered(handle):
                if not raw.strip():
                    continue
                try:
                    data = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    raise InputError(_not_json(raw, exc), file=str(self.path), record=f"line {number}") from None
                if not isinstance(data, dict):
                    raise InputError("each line must be a JSON object", file=str(self.path), record=f"line {number}")
                context: dict[str, bool] = {}
                try:
                    record = NeutralLine.model_validate({"root": data}, context=context).root
                except ValidationError as exc:
                    field, message = _describe(exc.errors())
                    label = f"line {number}"
                    if data.get("kind") in ("user", "group", "ticket") and isinstance(data.get("id"), int | str):
                        label += f" ({data['kind']} {data['id']})"
                    raise InputError(message, file=str(self.path), record=label, field=field) from None
                if isinstance(record, TicketRecord):
                    self._check_times(number, record)
                if context.get(_CHANGED):  # the values as validated (an id "10" is 10), in the codec's shape
                    data = record.model_dump(mode="json", exclude_unset=True)
                yield number, record, data

    def _check_times(self, number: int, ticket: TicketRecord) -> None:
        """No event before its ticket was created: the first comment is the ticket's opening description, and an
        event before ``created_at`` (a wrong time zone, most often) would silently change which one it is."""
        for index, event in enumerate(ticket.events):
            if event.at < ticket.created_at:
                raise InputError(
                    f"event {event.id} at {iso(event.at)} is before the ticket was created (created_at "
                    f"{iso(ticket.created_at)}): check both times and their zones",
                    file=str(self.path),
                    record=f"line {number} (ticket {ticket.id})",
                    field=f"events[{index}].at",
                )

    def _read_directory(self) -> None:
        users, groups = Repeats[User]("user"), Repeats[Group]("group")
        group_lines: dict[Id, int] = {}
        for number, record, data in self._lines:
            if isinstance(record, UserRecord):
                user = user_from_record(data)
                if users.keep(user.id, user, self._where(number)):
                    self.directory.add_user(user)
                    self._user_lines[user.id] = number
            elif isinstance(record, GroupRecord):
                group = group_from_record(data)
                if groups.keep(group.id, group, self._where(number)):
                    self.directory.add_group(group)
                    group_lines[group.id] = number
            else:
                self._first_ticket = (number, data)
                break
        self.warnings.extend([*users.warnings(), *groups.warnings()])
        for group in self.directory.groups.values():
            number = group_lines[group.id]
            for index, member in enumerate(group.members):
                self._check_user(member, number, f"group {group.id}", f"members[{index}]", "a group member")

    def _warn(self, number: int, record: str, field: str, message: str) -> str:
        text = f"{self.path.name}: line {number} ({record}): field {field}: {message}"
        self.warnings.append(text)
        return text

    def _check_user(self, user_id: Id, number: int, record: str, field: str, role: str) -> None:
        """A user named as an assignee, a follower or CC, or a group member: one warning for each id no user line
        defines (at its first mention, with the count of the others when the file has been read), one for each
        user named as an assignee or group member without an agent role (whose comments are then not judged)."""
        user = self.directory.users.get(user_id)
        if user is None:
            unknown = self._unknown.get(user_id)
            if unknown is not None:
                unknown.more += 1
                return
            index = len(self.warnings)
            text = self._warn(number, record, field, f"user {user_id} is not in this file (no user line has that id)")
            self._unknown[user_id] = _Unknown(index, text)
        elif not user.is_agent and role != "a follower or CC" and user_id not in self._not_agents:
            self._not_agents.add(user_id)
            self._warn(
                self._user_lines[user_id],
                f"user {user_id}",
                "role",
                f"user {user_id} is {role} ({record}, line {number}) but has no agent role: their comments are not "
                'judged (an agent\'s line needs "role": "agent" or "admin")',
            )

    def _check_references(self, number: int, data: dict[str, Any]) -> None:
        """The assignees, followers and CCs a ticket line names are users of the file (see :meth:`_check_user`)."""
        record = f"ticket {data['id']}"
        if data.get("assignee_id") is not None:
            self._check_user(data["assignee_id"], number, record, "assignee_id", "an assignee")
        for index, event in enumerate(data.get("events") or ()):
            kind = event["type"]
            if kind == "assignee" and event.get("assignee") is not None:
                self._check_user(event["assignee"], number, record, f"events[{index}].assignee", "an assignee")
            elif kind in ("followers", "ccs"):
                for side in ("added", "removed"):
                    for user_id in event.get(side) or ():
                        self._check_user(user_id, number, record, f"events[{index}].{side}", "a follower or CC")

    def _count_mentions(self) -> None:
        """Each unknown user's warning, with how many more times the file names them."""
        for unknown in self._unknown.values():
            if unknown.more:
                more = f"; named {unknown.more:,} more time{'s' if unknown.more > 1 else ''} in the file"
                self.warnings[unknown.index] = unknown.text + more

    def _history(self, number: int, data: dict[str, Any]) -> TicketHistory | None:
        """The ticket of a line, or None when a later line repeats it."""
        if self._last_line.get(data["id"]) != number:
            return None
        self._check_references(number, data)
        try:
            events, differing = unique_events([event_from_record(event) for event in data.get("events") or ()])
            history = TicketHistory.of(ticket_from_record(data), events)
        except (KeyError, ValueError, TypeError) as exc:  # pragma: no cover - validated above
            raise InputError(str(exc), file=str(self.path), record=f"line {number}") from None
        for event_id in differing:
            self.warnings.append(differing_copies(f"event {event_id} of ticket {data['id']}", [self._where(number)]))
        return history

    def _ticket_lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self._first_ticket is not None:
            yield self._first_ticket
        for number, record, data in self._lines:
            if not isinstance(record, TicketRecord):
                raise InputError(
                    f"{record.kind} records must come before the first ticket record",
                    file=str(self.path),
                    record=f"line {number}",
                )
            yield number, data

    def histories(self) -> Iterator[TicketHistory]:
        for number, data in self._ticket_lines():
            history = self._history(number, data)
            if history is not None:
                yield history
        self._count_mentions()


def write_neutral(path: str | Path, directory: Directory, histories: Iterator[TicketHistory]) -> int:
    """Write a neutral ``.jsonl`` file; returns the number of tickets written."""
    count = 0
    with Path(path).open("wb") as handle:
        for user in directory.users.values():
            handle.write(orjson.dumps(user_to_record(user)) + b"\n")
        for group in directory.groups.values():
            handle.write(orjson.dumps(group_to_record(group)) + b"\n")
        for history in histories:
            handle.write(orjson.dumps(history_to_record(history)) + b"\n")
            count += 1
    return count
