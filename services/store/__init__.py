"""The store database: schema, migrations, seed data and the queries actions need."""
