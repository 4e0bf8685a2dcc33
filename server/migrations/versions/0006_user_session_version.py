"""Accounts: a session version, bumped when an admin resets a password or deactivates an account.

It is part of the id Flask-Login keeps in the session cookie, so the sessions opened before the
change stop working at the next request. Existing accounts start at 0 (their sessions opened
before the upgrade, whose cookie holds the bare id, end once: people log in again).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
