"""Store policy documents, sentence-embedding retrieval over them, and product answers from the database."""
