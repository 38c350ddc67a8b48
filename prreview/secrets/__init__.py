"""Secrets: the scanner (detect-secrets plugins plus our own rules), redaction of everything
that leaves the process, stderr scrubbing, and the secret-file predicate."""
