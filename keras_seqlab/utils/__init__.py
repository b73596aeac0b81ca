"""Small helpers every layer of the package uses: registration, checks."""
