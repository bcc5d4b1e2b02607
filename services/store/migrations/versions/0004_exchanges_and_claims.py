"""Exchanges and warranty claims: product variants (size, colour, stock), warranty periods per category.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_variants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("sku", sa.String(40), nullable=False, unique=True),
        sa.Column("size", sa.String(8), nullable=True),
        sa.Column("colour", sa.String(24), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=False),
    )
    op.create_index("ix_product_variants_product_id", "product_variants", ["product_id"])
    op.create_table(
        "warranty_periods",
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("months", sa.Integer(), nullable=False),
    )
    op.create_table(
        "exchanges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("order_item_id", sa.Integer(), sa.ForeignKey("order_items.id"), nullable=False),
        sa.Column("variant_id", sa.Integer(), sa.ForeignKey("product_variants.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_exchanges_order_id", "exchanges", ["order_id"])
    op.create_table(
        "warranty_claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("description", sa.String(400), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_warranty_claims_order_id", "warranty_claims", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_warranty_claims_order_id", table_name="warranty_claims")
    op.drop_table("warranty_claims")
    op.drop_index("ix_exchanges_order_id", table_name="exchanges")
    op.drop_table("exchanges")
    op.drop_table("warranty_periods")
    op.drop_index("ix_product_variants_product_id", table_name="product_variants")
    op.drop_table("product_variants")
