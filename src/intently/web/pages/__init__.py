"""The dashboard's pages (server-rendered, login required except for the login page itself)."""
