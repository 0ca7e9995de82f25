"""Who may see what: local accounts and server-side sessions (:mod:`.accounts`), session cookies and the login
requirement (:mod:`.sessions`), CSRF tokens for every form (:mod:`.csrf`), failed-login limits
(:mod:`.ratelimit`) and bearer tokens for ``/api`` (:mod:`.tokens`)."""
