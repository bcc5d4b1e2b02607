"""Analytics schema fed from Rasa's event broker, surge alerts, and product reviews.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CONVERSATION_FK = "analytics_conversations.id"


def upgrade() -> None:
    op.create_table(
        "analytics_conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_event_at", sa.DateTime(), nullable=False),
        sa.Column("user_messages", sa.Integer(), nullable=False),
        sa.Column("negative_messages", sa.Integer(), nullable=False),
        sa.Column("first_emotion", sa.String(16), nullable=True),
        sa.Column("first_polarity", sa.String(8), nullable=True),
        sa.Column("last_emotion", sa.String(16), nullable=True),
        sa.Column("last_polarity", sa.String(8), nullable=True),
        sa.Column("valence_ewm", sa.Float(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
    )
    op.create_index("ix_analytics_conversations_sender_id", "analytics_conversations", ["sender_id"])
    op.create_index("ix_analytics_conversations_started_at", "analytics_conversations", ["started_at"])
    op.create_table(
        "analytics_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey(CONVERSATION_FK, ondelete="CASCADE"), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("intent_confidence", sa.Float(), nullable=True),
        sa.Column("emotion", sa.String(16), nullable=True),
        sa.Column("emotion_confidence", sa.Float(), nullable=True),
        sa.Column("emotion_confident", sa.Boolean(), nullable=False),
        sa.Column("valence", sa.Float(), nullable=True),
        sa.Column("dialogue_emotion", sa.String(16), nullable=False),
        sa.Column("polarity", sa.String(8), nullable=False),
        sa.Column("expressive", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("sender_id", "message_id", name="uq_analytics_messages_sender_message"),
    )
    op.create_index("ix_analytics_messages_conversation_id", "analytics_messages", ["conversation_id"])
    op.create_index("ix_analytics_messages_sent_at", "analytics_messages", ["sent_at"])
    op.create_table(
        "analytics_escalations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey(CONVERSATION_FK, ondelete="CASCADE"), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_analytics_escalations_conversation_id", "analytics_escalations", ["conversation_id"])
    op.create_index("ix_analytics_escalations_escalated_at", "analytics_escalations", ["escalated_at"])
    op.create_table(
        "analytics_agent_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("escalation_id", sa.Integer(), sa.ForeignKey("analytics_escalations.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("replied_at", sa.DateTime(), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
    )
    op.create_table(
        "analytics_csat",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey(CONVERSATION_FK, ondelete="CASCADE"), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_analytics_csat_conversation_id", "analytics_csat", ["conversation_id"])
    op.create_table(
        "analytics_dead_letters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_position", sa.String(64), nullable=True),
        sa.Column("error", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "analytics_offsets",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "analytics_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("notified_fired", sa.Boolean(), nullable=False),
        sa.Column("notified_resolved", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_analytics_alerts_key", "analytics_alerts", ["key"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
    )
    op.create_index("ix_reviews_product_id", "reviews", ["product_id"])
    op.create_index("ix_reviews_reviewed_at", "reviews", ["reviewed_at"])
    op.create_table(
        "review_sentences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("review_id", sa.Integer(), sa.ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("emotion", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("polarity", sa.String(8), nullable=False),
        sa.Column("valence", sa.Float(), nullable=False),
        sa.Column("aspects", sa.JSON(), nullable=False),
        sa.UniqueConstraint("review_id", "position", name="uq_review_sentences_review_position"),
    )
    op.create_index("ix_review_sentences_review_id", "review_sentences", ["review_id"])


def downgrade() -> None:
    for table in ("review_sentences", "reviews", "analytics_alerts", "analytics_offsets", "analytics_dead_letters",
                  "analytics_csat", "analytics_agent_replies", "analytics_escalations", "analytics_messages",
                  "analytics_conversations"):
        op.drop_table(table)  # their indexes go with them
