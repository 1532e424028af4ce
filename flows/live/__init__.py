"""Live invocations: Lambda log parsing (pure), log polling, storage and the push to browsers."""
