"""Indexes for the unit's list of dossiers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 02:40:00

The list reads one unit's dossiers in name order, and the unit's hamlets for its filter. With only
an index on the name, PostgreSQL walked the whole city's names and threw away the other units' rows
(72 ms for a unit of 2,600 dossiers among 100,000; 5 ms with the first index), and read every
dossier of the unit for its hamlets (4 ms; 0.3 ms from the second index alone). bench/README.md.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_returnees_tenant_search', 'returnees', ['tenant_id', 'search_name', 'id'])
    op.create_index('ix_returnees_tenant_hamlet', 'returnees', ['tenant_id', 'hamlet'])


def downgrade():
    op.drop_index('ix_returnees_tenant_hamlet', table_name='returnees')
    op.drop_index('ix_returnees_tenant_search', table_name='returnees')
