"""Review and opinion monitoring: aspects (spaCy PhraseMatcher), sentence sentiment (the emotion classifier), weekly surges."""
