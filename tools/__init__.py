"""Project tooling that is not part of the service: it ships in no image and no wheel."""
