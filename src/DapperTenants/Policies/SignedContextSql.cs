using DapperTenants.Catalog;
using static DapperTenants.Catalog.SignedContextNames;

namespace DapperTenants.Policies;

/// <summary>
/// The DDL of the signed tenant context: a schema, a key table only its owner can read, the verifier the policies call,
/// a diagnostic for the startup check, and a helper that installs a key.
/// </summary>
/// <remarks>
/// <para>
/// The function bodies are compared with <c>pg_proc.prosrc</c> to detect drift, so they are constants: change one and
/// every database gets it again on its next plan ("function differs from the model").
/// </para>
/// <para>
/// Everything the functions use is schema-qualified, operators included, and each runs with
/// <c>search_path = pg_catalog, pg_temp</c>: a caller who creates look-alike functions, operators or types in a schema
/// of its own and puts it first in its search_path changes nothing. The verifier never raises on bad input: it checks
/// the token's shape with one regular expression and length tests before it decodes anything, and decodes the tenant
/// only for a row whose MAC matched.
/// </para>
/// </remarks>
internal static class SignedContextSql
{
    /// <summary>The search_path every function of the signed context runs with.</summary>
    public const string SafeSearchPath = "pg_catalog, pg_temp";

    /// <summary>The token's shape: fields of the right alphabets; lengths are checked after the split.</summary>
    public const string TokenPattern = "^v1[.][a-z0-9_]+[.][0-9]+[.][0-9]+[.][0-9a-f]+[.][0-9a-f]+$";

    public static readonly string QualifiedSchema = Identifiers.Quote(Schema);

    // The bodies are spelled out whole (no fragments) so that what is stored in prosrc reads as it is written here.
    public const string VerifierBody = """

        DECLARE
            token pg_catalog.text := pg_catalog.current_setting(setting, true);
            part pg_catalog.text[];
            tenant pg_catalog.text;
        BEGIN
            -- No error on any input: shape and lengths first, decoding only after the MAC matched.
            IF token IS NULL
                OR pg_catalog.octet_length(token) OPERATOR(pg_catalog.>) 8400
                OR NOT token OPERATOR(pg_catalog.~) '^v1[.][a-z0-9_]+[.][0-9]+[.][0-9]+[.][0-9a-f]+[.][0-9a-f]+$' THEN
                RETURN NULL;
            END IF;
            part := pg_catalog.string_to_array(token, '.');
            IF pg_catalog.octet_length(part[2]) OPERATOR(pg_catalog.>) 32
                OR pg_catalog.octet_length(part[3]) OPERATOR(pg_catalog.>) 12
                OR pg_catalog.octet_length(part[4]) OPERATOR(pg_catalog.>) 10
                OR pg_catalog.octet_length(part[5]) OPERATOR(pg_catalog.%) 2 OPERATOR(pg_catalog.<>) 0
                OR pg_catalog.octet_length(part[6]) OPERATOR(pg_catalog.<>) 64 THEN
                RETURN NULL;
            END IF;
            -- HMAC-SHA256(key, setting || ':' || token without its mac), from the built-in sha256 and the stored pads.
            SELECT pg_catalog.convert_from(pg_catalog.decode(part[5], 'hex'), 'UTF8') INTO tenant
            FROM "dapper_tenants"."signing_keys" k
            WHERE k.key_id OPERATOR(pg_catalog.=) part[2]
              AND part[3]::pg_catalog.float8 OPERATOR(pg_catalog.>) pg_catalog.date_part('epoch', pg_catalog.transaction_timestamp())
              AND (part[4] OPERATOR(pg_catalog.=) '0' OR part[4]::pg_catalog.int8 OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid())
              AND pg_catalog.sha256(k.outer_pad OPERATOR(pg_catalog.||) pg_catalog.sha256(k.inner_pad OPERATOR(pg_catalog.||)
                      pg_catalog.convert_to(setting OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) pg_catalog.left(token, -65), 'UTF8')))
                  OPERATOR(pg_catalog.=) pg_catalog.decode(part[6], 'hex');
            RETURN tenant;
        END

        """;

    public const string DiagnosticBody = """

        DECLARE
            part pg_catalog.text[];
            k record;
        BEGIN
            server_time := pg_catalog.clock_timestamp();
            key_ids := ARRAY(SELECT s.key_id FROM "dapper_tenants"."signing_keys" s ORDER BY s.key_id);
            IF token IS NULL
                OR pg_catalog.octet_length(token) OPERATOR(pg_catalog.>) 8400
                OR NOT token OPERATOR(pg_catalog.~) '^v1[.][a-z0-9_]+[.][0-9]+[.][0-9]+[.][0-9a-f]+[.][0-9a-f]+$' THEN
                status := 'malformed';
                RETURN;
            END IF;
            part := pg_catalog.string_to_array(token, '.');
            IF pg_catalog.octet_length(part[2]) OPERATOR(pg_catalog.>) 32
                OR pg_catalog.octet_length(part[3]) OPERATOR(pg_catalog.>) 12
                OR pg_catalog.octet_length(part[4]) OPERATOR(pg_catalog.>) 10
                OR pg_catalog.octet_length(part[5]) OPERATOR(pg_catalog.%) 2 OPERATOR(pg_catalog.<>) 0
                OR pg_catalog.octet_length(part[6]) OPERATOR(pg_catalog.<>) 64 THEN
                status := 'malformed';
                RETURN;
            END IF;
            SELECT s.inner_pad, s.outer_pad INTO k FROM "dapper_tenants"."signing_keys" s WHERE s.key_id OPERATOR(pg_catalog.=) part[2];
            IF NOT FOUND THEN
                status := 'unknown key';
            ELSIF pg_catalog.sha256(k.outer_pad OPERATOR(pg_catalog.||) pg_catalog.sha256(k.inner_pad OPERATOR(pg_catalog.||)
                      pg_catalog.convert_to(setting OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) pg_catalog.left(token, -65), 'UTF8')))
                  OPERATOR(pg_catalog.<>) pg_catalog.decode(part[6], 'hex') THEN
                status := 'bad signature';
            ELSIF part[3]::pg_catalog.float8 OPERATOR(pg_catalog.<=) pg_catalog.date_part('epoch', pg_catalog.transaction_timestamp()) THEN
                status := 'expired';
            ELSIF part[4] OPERATOR(pg_catalog.<>) '0' AND part[4]::pg_catalog.int8 OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid() THEN
                status := 'other backend';
            ELSE
                status := 'verified';
            END IF;
        END

        """;

    // Derives the HMAC pads from the key on the server, so a script can take the key itself (as hex) from a psql variable.
    public const string KeyInstallerBody = """

        DECLARE
            k pg_catalog.bytea := new_key;
            inner_pad pg_catalog.bytea;
            outer_pad pg_catalog.bytea;
        BEGIN
            IF new_key_id IS NULL OR NOT new_key_id OPERATOR(pg_catalog.~) '^[a-z0-9_]{1,32}$' THEN
                RAISE EXCEPTION 'signing key id "%" is not valid: use 1 to 32 lower case letters, digits and underscores', new_key_id;
            END IF;
            IF k IS NULL OR pg_catalog.octet_length(k) OPERATOR(pg_catalog.<) 32 THEN
                RAISE EXCEPTION 'signing key "%" has % bytes; a signing key needs at least 32', new_key_id, pg_catalog.octet_length(k);
            END IF;
            IF pg_catalog.octet_length(k) OPERATOR(pg_catalog.>) 64 THEN
                k := pg_catalog.sha256(k);
            END IF;
            k := k OPERATOR(pg_catalog.||) pg_catalog.decode(pg_catalog.repeat('00', 64 OPERATOR(pg_catalog.-) pg_catalog.octet_length(k)), 'hex');
            inner_pad := k;
            outer_pad := k;
            FOR i IN 0..63 LOOP
                inner_pad := pg_catalog.set_byte(inner_pad, i, pg_catalog.get_byte(k, i) OPERATOR(pg_catalog.#) 54);
                outer_pad := pg_catalog.set_byte(outer_pad, i, pg_catalog.get_byte(k, i) OPERATOR(pg_catalog.#) 92);
            END LOOP;
            INSERT INTO "dapper_tenants"."signing_keys" AS s (key_id, inner_pad, outer_pad) VALUES (new_key_id, inner_pad, outer_pad)
            ON CONFLICT ON CONSTRAINT signing_keys_pkey
            DO UPDATE SET inner_pad = EXCLUDED.inner_pad, outer_pad = EXCLUDED.outer_pad, installed_at = pg_catalog.now();
        END

        """;

    /// <summary>The three functions, in the order they are created.</summary>
    public static readonly IReadOnlyList<SignedFunction> Functions =
    [
        new(Verifier, "text", VerifierBody, SecurityDefiner: true, Volatility: 's', Parallel: 'r', GrantToApp: true,
            $"{QualifiedVerifier}(setting pg_catalog.text)\nRETURNS pg_catalog.text\nLANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED"),
        new(Diagnostic, "text, text", DiagnosticBody, SecurityDefiner: true, Volatility: 'v', Parallel: 'u', GrantToApp: true,
            $"{QualifiedDiagnostic}(setting pg_catalog.text, token pg_catalog.text,\n    OUT status pg_catalog.text, OUT server_time pg_catalog.timestamptz, OUT key_ids pg_catalog.text[])\n"
            + "LANGUAGE plpgsql VOLATILE SECURITY DEFINER"),
        new(KeyInstaller, "text, bytea", KeyInstallerBody, SecurityDefiner: false, Volatility: 'v', Parallel: 'u', GrantToApp: false,
            $"{QualifiedKeyInstaller}(new_key_id pg_catalog.text, new_key pg_catalog.bytea)\nRETURNS void\nLANGUAGE plpgsql VOLATILE"),
    ];

    public static string CreateSchema(bool ifNotExists) =>
        $"CREATE SCHEMA {(ifNotExists ? "IF NOT EXISTS " : string.Empty)}{QualifiedSchema};";

    public static string RevokeSchemaCreate(string grantee) => $"REVOKE CREATE ON SCHEMA {QualifiedSchema} FROM {Grantee(grantee)};";

    /// <summary>The key table: pads of 64 bytes, no statistics on them, RLS on without a policy, nothing for PUBLIC.</summary>
    public static string[] CreateKeyTable(bool ifNotExists) =>
    [
        $"CREATE TABLE {(ifNotExists ? "IF NOT EXISTS " : string.Empty)}{QualifiedKeyTable} (\n"
            + "    key_id pg_catalog.text NOT NULL CONSTRAINT signing_keys_pkey PRIMARY KEY CONSTRAINT signing_keys_key_id_check CHECK (key_id ~ '^[a-z0-9_]{1,32}$'),\n"
            + "    inner_pad pg_catalog.bytea NOT NULL CONSTRAINT signing_keys_inner_pad_check CHECK (octet_length(inner_pad) = 64),\n"
            + "    outer_pad pg_catalog.bytea NOT NULL CONSTRAINT signing_keys_outer_pad_check CHECK (octet_length(outer_pad) = 64),\n"
            + "    installed_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now());",
        RevokeTable("PUBLIC"),
        EnableKeyTableRls,
        NoPadStatistics,
    ];

    public static string RevokeTable(string grantee) => $"REVOKE ALL ON TABLE {QualifiedKeyTable} FROM {Grantee(grantee)};";

    /// <summary>RLS without a policy: should a grant ever reach the app login, it would still read no row (the owner is exempt).</summary>
    public static readonly string EnableKeyTableRls = $"ALTER TABLE {QualifiedKeyTable} ENABLE ROW LEVEL SECURITY;";

    /// <summary>ANALYZE then keeps no most-common values or histogram of the pads, in pg_statistic or anywhere.</summary>
    public static readonly string NoPadStatistics =
        $"ALTER TABLE {QualifiedKeyTable} ALTER COLUMN inner_pad SET STATISTICS 0, ALTER COLUMN outer_pad SET STATISTICS 0;";

    public static string[] CreateFunction(SignedFunction function)
    {
        var tag = Tag(function.Body);
        return
        [
            $"CREATE OR REPLACE FUNCTION {function.Signature}\nSET search_path = {SafeSearchPath}\nAS {tag}{function.Body}{tag};",
            RevokeFunction(function, "PUBLIC"),
        ];
    }

    public static string RevokeFunction(SignedFunction function, string grantee) =>
        $"REVOKE ALL ON FUNCTION {function.QualifiedName}({function.ArgumentTypes}) FROM {Grantee(grantee)};";

    public static string GrantFunction(SignedFunction function, string role) =>
        $"GRANT EXECUTE ON FUNCTION {function.QualifiedName}({function.ArgumentTypes}) TO {Identifiers.Quote(role)};";

    public static string GrantSchemaUsage(string role) => $"GRANT USAGE ON SCHEMA {QualifiedSchema} TO {Identifiers.Quote(role)};";

    /// <summary>Installs a key bound as <c>$1</c> (bytea): the key never appears in the statement or the plan.</summary>
    public static string InstallKeyBound(string keyId) =>
        $"SELECT {QualifiedKeyInstaller}({Identifiers.Literal(keyId)}, $1); -- $1: the signing key, bound when applied and never printed";

    /// <summary>Installs a key from a hex expression: a psql variable placeholder, or the key itself when asked.</summary>
    public static string InstallKeyFromHex(string keyId, string hexExpression) =>
        $"SELECT {QualifiedKeyInstaller}({Identifiers.Literal(keyId)}, pg_catalog.decode({hexExpression}, 'hex'));";

    /// <summary>The psql variable a script reads a key from: <c>dapper_tenants_key_&lt;key id&gt;</c>.</summary>
    public static string KeyVariable(string keyId) => "dapper_tenants_key_" + keyId;

    public static string RetireKey(string keyId) =>
        $"DELETE FROM {QualifiedKeyTable} WHERE key_id = {Identifiers.Literal(keyId)};";

    /// <summary>The tenant a policy compares with: <c>"dapper_tenants"."tenant_of"('setting')</c>, NULL without a valid token.</summary>
    public static string VerifiedTenant(string settingName) => $"{QualifiedVerifier}({Identifiers.Literal(settingName)})";

    private static string Grantee(string role) => role == "PUBLIC" ? "PUBLIC" : Identifiers.Quote(role);

    private static string Tag(string body)
    {
        var tag = "$dapper_tenants$";
        for (var i = 1; body.Contains(tag, StringComparison.Ordinal); i++)
        {
            tag = "$dapper_tenants" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "$";
        }

        return tag;
    }
}
