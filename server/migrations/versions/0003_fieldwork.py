"""Fieldwork: waves on a locked draw, missions of sampled sites, scenarios, assignment runs,
the outbox, the scheduler's lease and job store; campaigns point at a stored référentiel.

Data steps:
- the shipped référentiels and questionnaires are stored (so a fresh install can create a
  campaign at once), and each campaign's (code, version) becomes a foreign key;
- an investigator's visit maximum starts equal to their capacity;
- missions and waves could not be created before this revision (no code path made them), so
  the revision refuses to run over any, rather than guess their sampled site.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

"""
import copy
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


referentiels = sa.table(
    "referentiels",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("version", sa.Integer),
    sa.column("name", sa.String),
    sa.column("content", sa.JSON),
    sa.column("fingerprint", sa.String),
    sa.column("loaded_at", sa.DateTime(timezone=True)),
)
questionnaires = sa.table(
    "questionnaires",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("referentiel_id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("version", sa.Integer),
    sa.column("title", sa.String),
    sa.column("content", sa.JSON),
    sa.column("fingerprint", sa.String),
    sa.column("loaded_at", sa.DateTime(timezone=True)),
)
campaigns = sa.table(
    "campaigns",
    sa.column("id", sa.Integer),
    sa.column("referentiel_id", sa.Integer),
    sa.column("referentiel_code", sa.String),
    sa.column("referentiel_version", sa.Integer),
)


def store_shipped_definitions(connection):
    """Insert the shipped référentiels and questionnaires whose (code, version) is not stored."""
    import survey_schemas

    now = datetime.now(UTC)
    ids = {}
    for model in survey_schemas.shipped_referentiels():
        lookup = sa.select(referentiels.c.id).where(
            referentiels.c.code == model.code, referentiels.c.version == model.version
        )
        if connection.execute(lookup).scalar() is None:
            connection.execute(
                referentiels.insert().values(
                    code=model.code, version=model.version, name=model.name,
                    content=copy.deepcopy(dict(model.document)),
                    fingerprint=model.fingerprint, loaded_at=now,
                )
            )
        ids[model.key] = connection.execute(lookup).scalar()
    for model in survey_schemas.shipped_questionnaires():
        exists = connection.execute(
            sa.select(questionnaires.c.id).where(
                questionnaires.c.code == model.code, questionnaires.c.version == model.version
            )
        ).scalar()
        if exists is None:
            connection.execute(
                questionnaires.insert().values(
                    code=model.code, referentiel_id=ids[model.referentiel], channel=model.channel,
                    version=model.version, title=model.title,
                    content=copy.deepcopy(dict(model.document)), fingerprint=model.fingerprint,
                    loaded_at=now,
                )
            )


def refuse_existing_fieldwork(connection):
    for table in ("waves", "missions"):
        count = connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()
        if count:
            raise RuntimeError(
                f"{count} rows in {table} from before revision 0003: no code path could create "
                "them; remove them before upgrading."
            )


def upgrade():
    connection = op.get_bind()
    refuse_existing_fieldwork(connection)
    store_shipped_definitions(connection)

    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'), ['next_run_time'], unique=False)

    op.create_table('scenarios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenarios')),
    sa.UniqueConstraint('network', 'channel', 'title', name=op.f('uq_scenarios_network_channel_title'))
    )
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenarios_network'), ['network'], unique=False)

    op.create_table('scheduler_lease',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('renewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease'))
    )
    op.create_table('assignment_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('unassignable', sa.Integer(), nullable=False),
    sa.Column('total_km', sa.Float(), nullable=False),
    sa.Column('mean_km', sa.Float(), nullable=True),
    sa.Column('solve_seconds', sa.Float(), nullable=False),
    sa.Column('fairness', sa.Float(), nullable=True),
    sa.Column('loads', sa.JSON(), nullable=False),
    sa.Column('blocked_by_rule', sa.JSON(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_assignment_runs_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_assignment_runs_wave_id_waves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_runs'))
    )
    with op.batch_alter_table('assignment_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_runs_wave_id'), ['wave_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('mission_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='outboxstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_outbox_messages_mission_id_missions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_messages_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_mission_id'), ['mission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_status'), ['status'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referentiel_id', sa.Integer(), nullable=True))
    for campaign_id, code, version in connection.execute(
        sa.select(campaigns.c.id, campaigns.c.referentiel_code, campaigns.c.referentiel_version)
    ).all():
        referentiel_id = connection.execute(
            sa.select(referentiels.c.id).where(
                referentiels.c.code == code, referentiels.c.version == version
            )
        ).scalar()
        if referentiel_id is None:
            raise RuntimeError(
                f"campaign {campaign_id} measures against référentiel {code} v{version}, which "
                "is not stored: load it (barometre referentiels load FILE) and upgrade again."
            )
        connection.execute(
            campaigns.update().where(campaigns.c.id == campaign_id)
            .values(referentiel_id=referentiel_id)
        )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.alter_column('referentiel_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_campaigns_referentiel_id'), ['referentiel_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_campaigns_referentiel_id_referentiels'), 'referentiels', ['referentiel_id'], ['id'])
        batch_op.drop_column('referentiel_code')
        batch_op.drop_column('referentiel_version')

    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts', sa.JSON(none_as_null=True), nullable=True))

    with op.batch_alter_table('investigator_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('home_insee', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('visit_capacity', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('unavailable_dates', sa.JSON(), nullable=False, server_default='[]')
        )
    op.execute("UPDATE investigator_profiles SET visit_capacity = capacity")
    with op.batch_alter_table('investigator_profiles', schema=None) as batch_op:
        batch_op.alter_column('visit_capacity', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('missions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sampled_site_id', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('ordinal', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('scenario_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=40), nullable=False))
        batch_op.add_column(sa.Column('default_hours', sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column('rule', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('reply_outcome', sa.Enum('received', 'no_reply', name='replyoutcome', native_enum=False, length=20), nullable=True))
        batch_op.add_column(sa.Column('reply_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reply_scan_path', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('reply_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reply_working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('window_start',
               existing_type=sa.DATETIME(),
               nullable=False)
        batch_op.alter_column('window_end',
               existing_type=sa.DATETIME(),
               nullable=False)
        batch_op.drop_index(batch_op.f('ix_missions_site_id'))
        batch_op.create_index(batch_op.f('ix_missions_sampled_site_id'), ['sampled_site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_missions_status'), ['status'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_missions_wave_id_sampled_site_id_channel_ordinal'), ['wave_id', 'sampled_site_id', 'channel', 'ordinal'])
        batch_op.drop_constraint(batch_op.f('fk_missions_site_id_sites'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_missions_reply_recorded_by_id_users'), 'users', ['reply_recorded_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_missions_scenario_id_scenarios'), 'scenarios', ['scenario_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_missions_sampled_site_id_sampled_sites'), 'sampled_sites', ['sampled_site_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_column('site_id')

    with op.batch_alter_table('waves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_days', sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column('rules', sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column('closing', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('draw_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.create_index(batch_op.f('ix_waves_draw_id'), ['draw_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_waves_created_by_id_users'), 'users', ['created_by_id'], ['id'], ondelete='SET NULL')



def downgrade():
    # Waves and missions of this revision's shape cannot be expressed in 0002's.
    op.execute("DELETE FROM missions")
    op.execute("DELETE FROM waves")
    with op.batch_alter_table('waves', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_waves_created_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_waves_draw_id'))
        batch_op.alter_column('draw_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.drop_column('closed_at')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('closing')
        batch_op.drop_column('rules')
        batch_op.drop_column('reply_days')

    with op.batch_alter_table('missions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.INTEGER(), nullable=False))
        batch_op.drop_constraint(batch_op.f('fk_missions_sampled_site_id_sampled_sites'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_missions_scenario_id_scenarios'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_missions_reply_recorded_by_id_users'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_missions_site_id_sites'), 'sites', ['site_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('uq_missions_wave_id_sampled_site_id_channel_ordinal'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_missions_status'))
        batch_op.drop_index(batch_op.f('ix_missions_sampled_site_id'))
        batch_op.create_index(batch_op.f('ix_missions_site_id'), ['site_id'], unique=False)
        batch_op.alter_column('window_end',
               existing_type=sa.DATETIME(),
               nullable=True)
        batch_op.alter_column('window_start',
               existing_type=sa.DATETIME(),
               nullable=True)
        batch_op.drop_column('done_at')
        batch_op.drop_column('reply_working_days')
        batch_op.drop_column('reply_recorded_by_id')
        batch_op.drop_column('reply_scan_path')
        batch_op.drop_column('reply_text')
        batch_op.drop_column('reply_outcome')
        batch_op.drop_column('rule')
        batch_op.drop_column('default_hours')
        batch_op.drop_column('time_zone')
        batch_op.drop_column('scenario_id')
        batch_op.drop_column('ordinal')
        batch_op.drop_column('sampled_site_id')

    with op.batch_alter_table('investigator_profiles', schema=None) as batch_op:
        batch_op.drop_column('unavailable_dates')
        batch_op.drop_column('visit_capacity')
        batch_op.drop_column('home_insee')

    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.drop_column('starts')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referentiel_version', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('referentiel_code', sa.VARCHAR(length=50), nullable=True))
    op.execute(
        "UPDATE campaigns SET referentiel_code = (SELECT code FROM referentiels "
        "WHERE referentiels.id = campaigns.referentiel_id), referentiel_version = (SELECT "
        "version FROM referentiels WHERE referentiels.id = campaigns.referentiel_id)"
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.alter_column('referentiel_version', existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column(
            'referentiel_code', existing_type=sa.VARCHAR(length=50), nullable=False
        )
        batch_op.drop_constraint(batch_op.f('fk_campaigns_referentiel_id_referentiels'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_campaigns_referentiel_id'))
        batch_op.drop_column('referentiel_id')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_mission_id'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('assignment_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_runs_wave_id'))

    op.drop_table('assignment_runs')
    op.drop_table('scheduler_lease')
    with op.batch_alter_table('scenarios', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenarios_network'))

    op.drop_table('scenarios')
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apscheduler_jobs_next_run_time'))

    op.drop_table('apscheduler_jobs')
