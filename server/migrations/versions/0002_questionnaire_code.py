"""Questionnaire code column: a questionnaire's (code, version) identity, unique.

Until now the code lived only inside the stored JSON document; it is copied from there for
rows that already exist, then made required and unique with the version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

questionnaires = sa.table(
    "questionnaires",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("content", sa.JSON),
)


def upgrade():
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=50), nullable=True))

    connection = op.get_bind()
    for row_id, content in connection.execute(
        sa.select(questionnaires.c.id, questionnaires.c.content)
    ).all():
        connection.execute(
            questionnaires.update()
            .where(questionnaires.c.id == row_id)
            .values(code=str(content.get("code") or f"questionnaire-{row_id}"))
        )

    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=50), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_questionnaires_code_version'), ['code', 'version'])


def downgrade():
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_questionnaires_code_version'), type_='unique')
        batch_op.drop_column('code')
