IF OBJECT_ID(N'[__EFMigrationsHistory]') IS NULL
BEGIN
    CREATE TABLE [__EFMigrationsHistory] (
        [MigrationId] nvarchar(150) NOT NULL,
        [ProductVersion] nvarchar(32) NOT NULL,
        CONSTRAINT [PK___EFMigrationsHistory] PRIMARY KEY ([MigrationId])
    );
END;
GO

BEGIN TRANSACTION;
CREATE TABLE dbo.events (
    position        bigint          NOT NULL CONSTRAINT pk_events PRIMARY KEY CLUSTERED,
    event_id        varbinary(32)   NOT NULL,
    stream_id       varbinary(1600) NOT NULL,
    stream_version  bigint          NOT NULL,
    event_type      nvarchar(256)   NOT NULL,
    occurred_at     bigint          NOT NULL,
    source_ref      varbinary(1024) NOT NULL,
    source_sequence bigint          NULL,
    envelope        varbinary(max)  NOT NULL,
    prev_hash       binary(32)      NOT NULL,
    row_hash        binary(32)      NOT NULL
);
CREATE UNIQUE INDEX ux_events_event_id ON dbo.events (event_id);
CREATE UNIQUE INDEX ux_events_stream ON dbo.events (stream_id, stream_version);
CREATE INDEX ix_events_canonical ON dbo.events (occurred_at, source_ref, source_sequence, event_id);

CREATE TABLE dbo.command_outcomes (
    command_id   nvarchar(450)  NOT NULL CONSTRAINT pk_command_outcomes PRIMARY KEY CLUSTERED,
    content_hash nvarchar(128)  NOT NULL,
    command_type nvarchar(256)  NOT NULL,
    status       nvarchar(32)   NOT NULL,
    outcome      varbinary(max) NOT NULL,
    decided_at   bigint         NOT NULL,
    seq          bigint         NOT NULL,
    prev_hash    binary(32)     NOT NULL,
    row_hash     binary(32)     NOT NULL
);
CREATE UNIQUE INDEX ux_command_outcomes_seq ON dbo.command_outcomes (seq);

CREATE TABLE dbo.connector_cursors (
    connector_id nvarchar(450) NOT NULL CONSTRAINT pk_connector_cursors PRIMARY KEY CLUSTERED,
    [cursor]     nvarchar(max) NULL,
    watermark    nvarchar(max) NULL,
    pages        int           NOT NULL,
    updated_at   bigint        NOT NULL,
    completed_at bigint        NULL
);

-- Never holds a row: its foreign keys exist so that TRUNCATE TABLE of either chained table is refused.
CREATE TABLE dbo.ops_truncate_guard (
    position bigint NULL CONSTRAINT fk_guard_events REFERENCES dbo.events (position),
    seq      bigint NULL CONSTRAINT fk_guard_outcomes REFERENCES dbo.command_outcomes (seq),
    CONSTRAINT ck_guard_empty CHECK (position IS NULL AND seq IS NULL AND 1 = 0)
);
EXEC (N'
CREATE TRIGGER dbo.events_refuse_change ON dbo.events AFTER UPDATE, DELETE AS
BEGIN
    SET NOCOUNT ON;
    THROW 51001, N''events is append-only: UPDATE and DELETE are refused'', 1;
END
');
EXEC (N'
CREATE TRIGGER dbo.command_outcomes_refuse_change ON dbo.command_outcomes AFTER UPDATE, DELETE AS
BEGIN
    SET NOCOUNT ON;
    THROW 51001, N''command_outcomes is append-only: UPDATE and DELETE are refused'', 1;
END
');
EXEC (N'
CREATE VIEW dbo.ops_events_chained WITH SCHEMABINDING AS
    SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM dbo.events
');
EXEC (N'
CREATE VIEW dbo.ops_outcomes_chained WITH SCHEMABINDING AS
    SELECT seq, command_id, content_hash, command_type, status, outcome, decided_at, prev_hash, row_hash FROM dbo.command_outcomes
');

INSERT INTO [__EFMigrationsHistory] ([MigrationId], [ProductVersion])
VALUES (N'20261215000001_MssqlInitialLog', N'10.0.14');

COMMIT;
GO

ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;
GO

BEGIN TRANSACTION;
CREATE TABLE dbo.projection_documents (
    projection nvarchar(200)   NOT NULL,
    tenant_id  varbinary(128)  NOT NULL,
    mode       varbinary(32)   NOT NULL,
    doc_key    varbinary(1024) NOT NULL,
    document   varbinary(max)  NOT NULL,
    CONSTRAINT pk_projection_documents PRIMARY KEY NONCLUSTERED (projection, tenant_id, mode, doc_key)
);
CREATE TABLE dbo.projection_checkpoints (
    projection nvarchar(200) NOT NULL CONSTRAINT pk_projection_checkpoints PRIMARY KEY CLUSTERED,
    version    int           NOT NULL,
    position   bigint        NOT NULL,
    updated_at bigint        NOT NULL
);

COMMIT;
GO

INSERT INTO [__EFMigrationsHistory] ([MigrationId], [ProductVersion])
VALUES (N'20261215000002_MssqlTenantScopedProjections', N'10.0.14');
GO

BEGIN TRANSACTION;
CREATE TABLE dbo.egress_requests (
    request_id      nvarchar(200)  COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_egress_requests PRIMARY KEY CLUSTERED,
    tenant_id       nvarchar(128)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    pack_id         nvarchar(128)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    destination     nvarchar(400)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    command_type    nvarchar(256)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    command_id      nvarchar(450)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    idempotency_key nvarchar(450)  COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT ux_egress_requests_key UNIQUE,
    request_hash    nvarchar(128)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    request         varbinary(max) NOT NULL,
    status          nvarchar(32)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    held_from       nvarchar(32)   COLLATE Latin1_General_100_BIN2 NULL,
    attempts        int            NOT NULL,
    lease_owner     nvarchar(200)  NULL,
    lease_until     bigint         NULL,
    created_at      bigint         NOT NULL,
    updated_at      bigint         NOT NULL,
    dispatched_at   bigint         NULL
);
CREATE INDEX ix_egress_requests_status ON dbo.egress_requests (status, created_at, request_id);
CREATE INDEX ix_egress_requests_dispatched ON dbo.egress_requests (destination, dispatched_at);
CREATE TABLE dbo.egress_switches (
    scope      nvarchar(400) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_egress_switches PRIMARY KEY CLUSTERED,
    reason     nvarchar(max) NOT NULL,
    engaged_at bigint        NOT NULL
);

INSERT INTO [__EFMigrationsHistory] ([MigrationId], [ProductVersion])
VALUES (N'20261215000003_MssqlEgressOutbox', N'10.0.14');

COMMIT;
GO

