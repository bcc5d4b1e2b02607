"""Operations: the production topology on one machine (``make run-prod``) and its configuration."""
