"""routing rules and queue

Revision ID: 20261122_routing
Revises: 20261122_initial
Create Date: 2026-11-22 19:48:40.077070
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import fenpei.adapters.db.types

revision = '20261122_routing'
down_revision = '20261122_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('conditions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('target', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('strategy', sa.String(length=40), nullable=False),
    sa.Column('strategy_options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('fallback', sa.String(length=20), nullable=False),
    sa.Column('fallback_pool', sa.String(length=100), nullable=True),
    sa.Column('required_skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('window', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules'))
    )
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rules_priority'), ['priority'], unique=False)

    op.create_table('routing_state',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rule_id'], ['rules.id'], name=op.f('fk_routing_state_rule_id_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', name=op.f('pk_routing_state'))
    )
    op.create_table('rule_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['rules.id'], name=op.f('fk_rule_versions_rule_id_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_versions')),
    sa.UniqueConstraint('rule_id', 'version', name='uq_rule_versions_rule_version')
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('queue_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('queued_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_pool'), ['pool'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_queued_at'), ['queued_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_queued_at'))
        batch_op.drop_index(batch_op.f('ix_customers_pool'))
        batch_op.drop_column('queued_at')
        batch_op.drop_column('queue_reason')
        batch_op.drop_column('pool')

    op.drop_table('rule_versions')
    op.drop_table('routing_state')
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_priority'))

    op.drop_table('rules')
