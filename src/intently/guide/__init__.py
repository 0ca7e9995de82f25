"""Guide: before a reply is sent, how it would be judged, and the intentional path when it would be a drive-by.

Pure, like the engine it asks (:mod:`.advice`): the hypothetical comment is added to the ticket's history and
judged; no rule is restated here. The sidebar page, the API's ``check-reply``, the Zendesk app and write-back's
notes all take their words from this package.
"""
