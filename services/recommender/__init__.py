"""LightFM product recommender: dataset from the store database, training, evaluation and serving."""
