-- Harbor Towage: Tugboat's embedded demo database (SQLite).
-- A small but realistic operational schema: ports, vessels, customers, towage jobs, invoices,
-- an audit trail filled by a trigger, a reporting view, and varied column types.
-- Every row is generated deterministically from row numbers: the same file every time.

PRAGMA foreign_keys = ON;

CREATE TABLE ports (
    port_id     INTEGER PRIMARY KEY,
    code        CHAR(5) NOT NULL UNIQUE,
    name        VARCHAR(80) NOT NULL,
    country     CHAR(2) NOT NULL,
    latitude    REAL,
    longitude   REAL,
    max_draft_m NUMERIC(4,1),
    opened_on   DATE
);

CREATE TABLE vessel_types (
    type_id     INTEGER PRIMARY KEY,
    name        VARCHAR(40) NOT NULL UNIQUE,
    needs_pilot BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE vessels (
    vessel_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    imo_number    CHAR(7) NOT NULL,
    name          VARCHAR(80) NOT NULL,
    type_id       INTEGER NOT NULL REFERENCES vessel_types (type_id),
    home_port_id  INTEGER REFERENCES ports (port_id) ON DELETE SET NULL,
    gross_tonnage INTEGER NOT NULL CHECK (gross_tonnage > 0),
    length_m      NUMERIC(6,2),
    built_year    SMALLINT,
    is_active     BOOLEAN NOT NULL DEFAULT 1,
    specs         JSON,
    photo         BLOB,
    CONSTRAINT uq_vessels_imo UNIQUE (imo_number)
);

CREATE TABLE customers (
    customer_id  INTEGER PRIMARY KEY,
    name         VARCHAR(120) NOT NULL,
    email        VARCHAR(120) UNIQUE,
    country      CHAR(2),
    credit_limit DECIMAL(12,2) NOT NULL DEFAULT 50000.00,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE tug_jobs (
    job_id       INTEGER PRIMARY KEY,
    vessel_id    INTEGER NOT NULL REFERENCES vessels (vessel_id),
    customer_id  INTEGER NOT NULL REFERENCES customers (customer_id),
    port_id      INTEGER NOT NULL REFERENCES ports (port_id),
    scheduled_at DATETIME NOT NULL,
    started_at   DATETIME,
    finished_at  DATETIME,
    status       VARCHAR(12) NOT NULL DEFAULT 'planned'
                 CONSTRAINT ck_tug_jobs_status CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
    tugs_used    TINYINT NOT NULL DEFAULT 1,
    fee          DECIMAL(10,2),
    notes        TEXT,
    duration_min INTEGER GENERATED ALWAYS AS (CAST((julianday(finished_at) - julianday(started_at)) * 1440 AS INTEGER)) VIRTUAL
);

CREATE TABLE invoices (
    invoice_id  INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL UNIQUE REFERENCES tug_jobs (job_id) ON DELETE CASCADE,
    public_id   CHAR(36) NOT NULL,
    issued_on   DATE NOT NULL,
    due_on      DATE NOT NULL,
    amount      DECIMAL(12,2) NOT NULL,
    currency    CHAR(3) NOT NULL DEFAULT 'EUR',
    paid        BOOLEAN NOT NULL DEFAULT 0,
    CHECK (due_on >= issued_on)
);

CREATE TABLE audit_log (
    audit_id   INTEGER PRIMARY KEY,
    table_name VARCHAR(40) NOT NULL,
    row_id     INTEGER NOT NULL,
    action     VARCHAR(20) NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    changed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX ix_vessels_type ON vessels (type_id);
CREATE INDEX ix_vessels_name_lower ON vessels (lower(name));
CREATE INDEX ix_jobs_port_time ON tug_jobs (port_id, scheduled_at DESC);
CREATE INDEX ix_jobs_vessel ON tug_jobs (vessel_id);
CREATE INDEX ix_jobs_customer ON tug_jobs (customer_id);
CREATE INDEX ix_invoices_unpaid ON invoices (due_on) WHERE paid = 0;

CREATE VIEW v_port_activity AS
SELECT p.code, p.name AS port, count(j.job_id) AS jobs,
       sum(CASE WHEN j.status = 'done' THEN 1 ELSE 0 END) AS jobs_done,
       round(sum(coalesce(i.amount, 0)), 2) AS invoiced
FROM ports p
LEFT JOIN tug_jobs j ON j.port_id = p.port_id
LEFT JOIN invoices i ON i.job_id = j.job_id
GROUP BY p.port_id, p.code, p.name;

CREATE TRIGGER trg_tug_jobs_status_audit
AFTER UPDATE OF status ON tug_jobs
WHEN new.status <> old.status
BEGIN
    INSERT INTO audit_log (table_name, row_id, action, old_value, new_value, changed_at)
    VALUES ('tug_jobs', new.job_id, 'status', old.status, new.status, '2026-01-01 00:00:00');
END;

INSERT INTO ports (port_id, code, name, country, latitude, longitude, max_draft_m, opened_on) VALUES
 (1, 'NLRTM', 'Rotterdam', 'NL', 51.9496, 4.1453, 24.0, '1872-03-01'),
 (2, 'BEANR', 'Antwerpen', 'BE', 51.2637, 4.3996, 16.0, '1811-05-12'),
 (3, 'DEHAM', 'Hamburg', 'DE', 53.5461, 9.9661, 15.1, '1189-05-07'),
 (4, 'SEGOT', 'Göteborg', 'SE', 57.6889, 11.8547, 19.0, '1621-06-04'),
 (5, 'PLGDN', 'Gdańsk', 'PL', 54.4008, 18.6686, 17.0, '1945-04-01'),
 (6, 'FRLEH', 'Le Havre', 'FR', 49.4815, 0.1318, 14.5, '1517-10-08'),
 (7, 'ESVLC', 'València', 'ES', 39.4437, -0.3163, 16.0, '1791-01-01'),
 (8, 'GRPIR', 'Piraeus', 'GR', 37.9420, 23.6465, 18.0, '1835-01-01'),
 (9, 'ITGOA', 'Genova', 'IT', 44.4056, 8.9026, 15.0, '1128-01-01'),
 (10, 'LTKLJ', 'Klaipėda', 'LT', 55.7033, 21.1443, 14.5, '1252-08-01'),
 (11, 'DEBRV', 'Bremerhaven', 'DE', 53.5396, 8.5809, 14.5, '1827-01-01'),
 (12, 'GBFXT', 'Felixstowe', 'GB', 51.9540, 1.3511, 16.0, '1875-01-01'),
 (13, 'ESALG', 'Algeciras', 'ES', 36.1408, -5.4562, 18.5, '1906-01-01'),
 (14, 'FRMRS', 'Marseille-Fos', 'FR', 43.3384, 5.3284, 18.0, '1844-01-01'),
 (15, 'ITTRS', 'Trieste', 'IT', 45.6495, 13.7768, 18.0, '1719-03-18'),
 (16, 'NOOSL', 'Oslo', 'NO', 59.9028, 10.7394, 12.0, '1900-01-01'),
 (17, 'FIHEL', 'Helsinki', 'FI', 60.1555, 24.9577, 11.0, '1550-06-12'),
 (18, 'DKAAR', 'Aarhus', 'DK', 56.1496, 10.2260, 14.0, '1840-01-01'),
 (19, 'PTSIN', 'Sines', 'PT', 37.9500, -8.8667, 28.0, '1978-01-01'),
 (20, 'TRIST', 'İstanbul (Ambarlı)', 'TR', 40.9673, 28.6925, 16.5, '1995-01-01');

INSERT INTO vessel_types (type_id, name, needs_pilot) VALUES
 (1, 'Container ship', 1), (2, 'Bulk carrier', 1), (3, 'Oil tanker', 1), (4, 'LNG carrier', 1),
 (5, 'Ro-Ro ferry', 0), (6, 'Cruise ship', 1), (7, 'General cargo', 0), (8, 'Car carrier', 1);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
INSERT INTO vessels (vessel_id, imo_number, name, type_id, home_port_id, gross_tonnage, length_m, built_year, is_active, specs, photo)
SELECT i,
       printf('%07d', 9100000 + i * 37),
       (CASE i % 12 WHEN 0 THEN 'Nordic ' WHEN 1 THEN 'Maersk ' WHEN 2 THEN 'MSC ' WHEN 3 THEN 'Stena ' WHEN 4 THEN 'Ever '
                    WHEN 5 THEN 'CMA CGM ' WHEN 6 THEN 'Hapag ' WHEN 7 THEN 'Atlantic ' WHEN 8 THEN 'Baltic ' WHEN 9 THEN 'Ocean '
                    WHEN 10 THEN 'Côte d''Azur ' ELSE 'Star ' END)
         || (CASE (i / 12) % 8 WHEN 0 THEN 'Aurora' WHEN 1 THEN 'Horizon' WHEN 2 THEN 'Pioneer' WHEN 3 THEN 'Spirit'
                                WHEN 4 THEN 'Voyager' WHEN 5 THEN 'Trader' WHEN 6 THEN 'Fjord' ELSE 'Meridian' END)
         || ' ' || (i % 47 + 1),
       i % 8 + 1,
       CASE WHEN i % 29 = 0 THEN NULL ELSE i % 20 + 1 END,
       2000 + (i * 7919) % 220000,
       round(80 + ((i * 131) % 32000) / 100.0, 2),
       1985 + i % 40,
       i % 17 <> 0,
       json_object('engine_kw', 4000 + (i * 97) % 60000, 'ice_class', CASE WHEN i % 5 = 0 THEN '1A' ELSE NULL END,
                   'scrubber', json(CASE WHEN i % 3 = 0 THEN 'true' ELSE 'false' END)),
       CASE WHEN i % 50 = 0 THEN zeroblob(16) || X'00FF10' ELSE NULL END
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO customers (customer_id, name, email, country, credit_limit, created_at)
SELECT i,
       (CASE i % 10 WHEN 0 THEN 'Nordsee Shipping' WHEN 1 THEN 'Blue Anchor Lines' WHEN 2 THEN 'Hanseatic Cargo'
                    WHEN 3 THEN 'Mare Nostrum SpA' WHEN 4 THEN 'Øresund Logistics' WHEN 5 THEN 'Biscay Bulk'
                    WHEN 6 THEN 'Adriatic Tankers' WHEN 7 THEN 'Polar Reefer' WHEN 8 THEN 'Iberia Ro-Ro' ELSE 'Levant Marine' END)
         || ' ' || i,
       CASE WHEN i % 23 = 0 THEN NULL ELSE 'ops' || i || '@customer' || (i % 10) || '.example' END,
       substr('NLBEDESEPLFRESGRITLT', (i % 10) * 2 + 1, 2),
       round(10000 + (i * 4409) % 490000, 2),
       printf('2019-%02d-%02d %02d:%02d:00', i % 12 + 1, i % 28 + 1, i % 24, (i * 7) % 60)
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
INSERT INTO tug_jobs (job_id, vessel_id, customer_id, port_id, scheduled_at, started_at, finished_at, status, tugs_used, fee, notes)
SELECT i,
       (i * 7) % 600 + 1,
       (i * 13) % 300 + 1,
       (i * 3 + i / 10) % 20 + 1,
       datetime('2024-01-01 00:00:00', '+' || ((i * 157) % 525600) || ' minutes'),
       CASE WHEN i % 10 < 8 THEN datetime('2024-01-01 00:00:00', '+' || ((i * 157) % 525600 + i % 45) || ' minutes') END,
       CASE WHEN i % 10 < 7 THEN datetime('2024-01-01 00:00:00', '+' || ((i * 157) % 525600 + i % 45 + 40 + (i * 11) % 200) || ' minutes') END,
       CASE WHEN i % 10 < 7 THEN 'done' WHEN i % 10 = 7 THEN 'in_progress' WHEN i % 10 = 8 THEN 'planned' ELSE 'cancelled' END,
       1 + i % 4,
       CASE WHEN i % 10 = 9 THEN NULL ELSE round(850 + (i * 389) % 9000 + (i % 100) / 100.0, 2) END,
       CASE i % 9 WHEN 0 THEN 'Strong crosswind, 3 tugs requested' WHEN 1 THEN 'Pilot boarded at buoy 4 ⚓'
                  WHEN 2 THEN NULL WHEN 3 THEN 'Night berthing 🌙🚢' WHEN 4 THEN 'Line parted, no damage'
                  WHEN 5 THEN NULL WHEN 6 THEN 'Ice escort requested (Ostsee/Östersjön)' ELSE NULL END
FROM n;

INSERT INTO invoices (invoice_id, job_id, public_id, issued_on, due_on, amount, currency, paid)
SELECT j.job_id,
       j.job_id,
       printf('%08x-%04x-4%03x-a%03x-%012x', j.job_id * 2654435761 % 4294967296, j.job_id % 65536, j.job_id % 4096,
              (j.job_id * 7) % 4096, j.job_id * 48271),
       date(j.finished_at),
       date(j.finished_at, '+30 days'),
       round(j.fee * (CASE WHEN j.tugs_used > 2 THEN 1.15 ELSE 1.0 END), 2),
       CASE WHEN j.port_id IN (4, 16, 18) THEN (CASE j.port_id WHEN 4 THEN 'SEK' WHEN 16 THEN 'NOK' ELSE 'DKK' END)
            WHEN j.port_id = 12 THEN 'GBP' ELSE 'EUR' END,
       j.job_id % 5 <> 0
FROM tug_jobs j
WHERE j.status = 'done';

UPDATE tug_jobs SET status = 'cancelled' WHERE job_id % 200 = 8;
