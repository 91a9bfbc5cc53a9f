"""outbox: a file sent with a message (the purchase order's PDF)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 04:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_attachment_id_attachments'),
                                    'attachments', ['attachment_id'], ['id'])


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_attachment_id_attachments'),
                                 type_='foreignkey')
        batch_op.drop_column('attachment_id')
