"""Reports: a version for the phone's offline saves, the submitted payload's fingerprint, and
the evidence (location declined, clock offset); photos keep their size in pixels.

Existing reports start at version 1, with location not declined.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('height', sa.Integer(), nullable=True))

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('submitted_fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('location_declined', sa.Boolean(), nullable=False,
                      server_default=sa.false())
        )
        batch_op.add_column(sa.Column('clock_offset_seconds', sa.Float(), nullable=True))



def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('clock_offset_seconds')
        batch_op.drop_column('location_declined')
        batch_op.drop_column('submitted_fingerprint')
        batch_op.drop_column('version')

    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_column('height')
        batch_op.drop_column('width')

