"""Initial store schema: catalogue, customers, orders, shipments, returns, tickets, interactions, CSAT.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("segment", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sku", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(160), nullable=False, unique=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("tags", sa.String(400), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
    )
    op.create_index("ix_products_category", "products", ["category"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.String(16), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("shipping_address", sa.String(400), nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("payment_status", sa.String(16), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("refunded_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
    )
    op.create_index("ix_order_items_order_id", "order_items", ["order_id"])
    op.create_index("ix_order_items_product_id", "order_items", ["product_id"])
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False, unique=True),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("tracking_number", sa.String(40), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("shipped_at", sa.DateTime(), nullable=True),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "returns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rma_code", sa.String(24), nullable=False, unique=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("reason", sa.String(400), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("refund_amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("refunded_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_returns_order_id", "returns", ["order_id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(16), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("emotion_history", sa.JSON(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_tickets_sender_id", "tickets", ["sender_id"])
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.String(16), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_interactions_customer_id", "interactions", ["customer_id"])
    op.create_index("ix_interactions_product_id", "interactions", ["product_id"])
    op.create_index("ix_interactions_occurred_at", "interactions", ["occurred_at"])
    op.create_table(
        "csat_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(16), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("emotion_history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_csat_ratings_sender_id", "csat_ratings", ["sender_id"])
    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("sender_id", name="uq_verification_failures_sender"),
    )


def downgrade() -> None:
    for table in (
        "verification_failures",
        "csat_ratings",
        "interactions",
        "tickets",
        "returns",
        "shipments",
        "order_items",
        "orders",
        "products",
        "customers",
    ):
        op.drop_table(table)
