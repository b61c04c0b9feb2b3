"""API tokens, failed-login counters, idempotent requests

Revision ID: 20261122_access
Revises: 20261122_routing
Create Date: 2026-11-22 21:43:02.349701
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fenpei.adapters.db.types

from sqlalchemy.dialects import postgresql
revision = '20261122_access'
down_revision = '20261122_routing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('idempotent_requests',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotent_requests'))
    )
    op.create_table('login_failures',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_failures'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=24), nullable=False),
    sa.Column('secret_hash', sa.String(length=128), nullable=False),
    sa.Column('scopes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_tokens_prefix'))
    )
    


def downgrade() -> None:
    
    op.drop_table('api_tokens')
    op.drop_table('login_failures')
    op.drop_table('idempotent_requests')
    
