"""Business rules: each write use case is one function that validates, acts, commits."""
