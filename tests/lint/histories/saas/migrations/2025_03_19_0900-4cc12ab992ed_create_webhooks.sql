-- revision: 4cc12ab992ed
-- down_revision: 4e6a44f144be
-- message: create webhooks

-- migrate:upgrade
CREATE TABLE webhooks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url text NOT NULL,
    events text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_tenant_id_idx ON webhooks (tenant_id);
