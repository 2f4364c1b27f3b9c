"""Business rules by domain; each write use case validates, acts, commits.

`core` is the shared kernel; `customers`, `cases`, `clocks`, `recycling`,
`visits`, `reporting`, `notify` and `reference` each own one domain (see their
package docstrings). Screens (`app.ui`), the API, commands and jobs call these
functions; no rule lives anywhere else.
"""
