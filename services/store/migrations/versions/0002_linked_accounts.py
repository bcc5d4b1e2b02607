"""Linked chat accounts: a Slack user or Telegram chat the store has tied to a customer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "linked_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(16), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("channel", "external_id", name="uq_linked_accounts_channel_external"),
    )
    op.create_index("ix_linked_accounts_customer_id", "linked_accounts", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_linked_accounts_customer_id", table_name="linked_accounts")
    op.drop_table("linked_accounts")
