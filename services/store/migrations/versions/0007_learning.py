"""Emotion review queue of the learning loop (services/learning).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emotion_review_queue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("text_masked", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("model_label", sa.String(16), nullable=True),
        sa.Column("model_confidence", sa.Float(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("suggested_label", sa.String(16), nullable=True),
        sa.Column("suggested_by", sa.String(64), nullable=True),
        sa.Column("correction_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("final_label", sa.String(16), nullable=True),
        sa.Column("labelled_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("labelled_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("sender_id", "text_hash", name="uq_emotion_review_queue_sender_text"),
    )
    op.create_index("ix_emotion_review_queue_status", "emotion_review_queue", ["status"])
    op.create_index("ix_emotion_review_queue_created_at", "emotion_review_queue", ["created_at"])


def downgrade() -> None:
    op.drop_table("emotion_review_queue")  # its indexes go with it
