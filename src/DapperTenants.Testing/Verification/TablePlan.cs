using System.Globalization;
using DapperTenants.Catalog;
using DapperTenants.Policies;
using Npgsql;

namespace DapperTenants.Testing.Verification;

/// <summary>
/// The behavioural proof of one table, as statements and judgements: seed one row for each of two fresh tenants, A
/// and B, then probe as B (and with no tenant) what reaches A's row. Pure: the runners execute it.
/// </summary>
/// <remarks>
/// Every value is bound as text of unknown type and cast in the statement (<c>$1::uuid</c>), so one code path serves
/// every column type. A's rows are found by A's tenant value alone: A is fresh, so A's only row is the seeded one.
/// </remarks>
internal sealed class TablePlan
{
    private readonly TableModel _model;
    private readonly ProtectedTable _table;
    private readonly TableColumn _tenant;
    private readonly IReadOnlyList<TableColumn> _filled;
    private readonly IReadOnlyList<TableColumn>? _key;
    private readonly ValueSource _values = new();
    private readonly string _settingName;

    private TablePlan(TableModel model, ProtectedTable table, TableColumn tenant, IReadOnlyList<TableColumn> filled, IReadOnlyList<TableColumn>? key, string settingName, string? unseedable)
    {
        _settingName = settingName;
        _model = model;
        _table = table;
        _tenant = tenant;
        _filled = filled;
        _key = key;
        Unseedable = unseedable;
        TenantA = ValueSource.FreshTenant(tenant.Type);
        do
        {
            TenantB = ValueSource.FreshTenant(tenant.Type);
        }
        while (TenantB == TenantA);
    }

    public string Target => _table.QuotedName;

    public string TenantA { get; }

    public string TenantB { get; }

    /// <summary>Why no row can be made for the table, or <see langword="null"/>.</summary>
    public string? Unseedable { get; }

    /// <summary>The plan for <paramref name="table"/>, whose column <paramref name="model"/>'s tenant column exists.</summary>
    public static TablePlan Create(TableModel model, ProtectedTable table, string settingName)
    {
        var tenant = table.Column(model.TenantColumn)!;
        var filled = table.ColumnFacts.Where(c => c.NotNull && c.Default is null && !c.Identity && c.Name != tenant.Name).ToList();
        var unknown = filled.Where(c => new ValueSource().Next(c.Type) is null).Select(c => $"{c.Quoted ?? c.Name} ({c.Type})").ToList();
        var key = table.UniqueIndexes.OrderByDescending(i => i.IsPrimaryKey)
            .Select(i => i.Columns.Select(n => table.ColumnFacts.FirstOrDefault(c => c.Number == n)).ToList())
            .Where(columns => columns.Count > 0 && columns.All(c => c is not null))
            .Select(columns => (IReadOnlyList<TableColumn>)[.. columns.OfType<TableColumn>()])
            .FirstOrDefault();
        return new TablePlan(model, table, tenant, filled, key, settingName, unknown.Count == 0 ? null
            : $"the verifier cannot make a value for the NOT NULL column(s) without a default {string.Join(", ", unknown)}");
    }

    /// <summary>The insert of a fresh row for <paramref name="tenant"/>, returning the key columns as text.</summary>
    public Statement Seed(string tenant) => Insert(tenant, Row(), returning: true);

    /// <summary>The probes, once A's row is seeded and its key (as returned by <see cref="Seed"/>) is known.</summary>
    public IEnumerable<Probe> Probes(IReadOnlyList<string?> keyOfA)
    {
        var t = _table.QuotedName;
        var c = Q(_tenant);
        var cast = "::" + _tenant.Type;
        yield return Control(TenantA, "A");
        yield return Control(TenantB, "B");
        yield return new Probe(
            [new(TenantB, new($"SELECT count(*) FROM {t} WHERE {c} <> $1{cast}", [TenantB]), Query: true)],
            o => o[0] switch
            {
                { Error: { } e } => NotProbed("the read as tenant B", e),
                { Value: > 0 } r => Leak(AuditCodes.CrossTenantRead, $"As tenant B, a query of {t} returns {Rows(r.Value)} of other tenants (tenant A's row among them).",
                    "Enable and force Row-Level Security, and make every permissive SELECT policy compare the tenant column with the setting."),
                _ => null,
            });
        yield return new Probe(
            [new(TenantB, Insert(TenantA, Row(), returning: false), Query: false)],
            o => o[0] switch
            {
                { Error.SqlState: PostgresErrorCodes.InsufficientPrivilege } => null,
                { Error: { } e } => NotProbed("the insert as tenant B of a row stamped with tenant A", e),
                _ => Leak(AuditCodes.CrossTenantInsert, $"As tenant B, an INSERT into {t} of a row whose {_model.TenantColumn} is tenant A succeeded.",
                    "Give every permissive policy a WITH CHECK (or a USING, which serves as one) that compares the tenant column with the setting."),
            });
        yield return new Probe(
            [new(TenantB, new($"UPDATE {t} SET {c} = {c} WHERE {c} = $1{cast}", [TenantA]), Query: false)],
            o => Filtered(o[0], AuditCodes.CrossTenantUpdate, $"As tenant B, an UPDATE of tenant A's row in {t}", "the update as tenant B of tenant A's row"));
        yield return new Probe(
            [new(TenantB, new($"UPDATE {t} SET {c} = $1{cast} WHERE {c} = $2{cast}", [TenantA, TenantB]), Query: false)],
            o => o[0] switch
            {
                { Error.SqlState: PostgresErrorCodes.InsufficientPrivilege } or { Error: null, Value: 0 } => null,
                { Error: { } e } => NotProbed("the update as tenant B that moves its row to tenant A", e),
                var r => Leak(AuditCodes.CrossTenantUpdate, $"As tenant B, an UPDATE in {t} moved {Rows(r.Value)} of tenant B to tenant A.",
                    "Give every permissive UPDATE policy a WITH CHECK that compares the tenant column with the setting."),
            });
        yield return new Probe(
            [new(TenantB, new($"DELETE FROM {t} WHERE {c} = $1{cast}", [TenantA]), Query: false)],
            o => Filtered(o[0], AuditCodes.CrossTenantDelete, $"As tenant B, a DELETE of tenant A's row in {t}", "the delete as tenant B of tenant A's row"));
        if (_key is { } key)
        {
            var row = Row();
            for (var i = 0; i < key.Count; i++)
            {
                if (key[i].Name != _tenant.Name)
                {
                    row[key[i].Name] = keyOfA[i];
                }
            }

            var columns = string.Join(", ", key.Select(Q));
            var upsert = Insert(TenantB, row, returning: false);
            upsert = upsert with { Sql = upsert.Sql + $" ON CONFLICT ({columns}) DO UPDATE SET {c} = EXCLUDED.{c}" };
            yield return new Probe(
                [new(TenantB, upsert, Query: false), new(TenantA, new($"SELECT count(*) FROM {t} WHERE {c} = $1{cast}", [TenantA]), Query: true)],
                o => o switch
                {
                    [{ Error.SqlState: PostgresErrorCodes.InsufficientPrivilege }] => null,
                    [{ Error: { } e }] => NotProbed($"the upsert as tenant B onto tenant A's key ({columns})", e),
                    [_, { Error: { } e }] => NotProbed("the read as tenant A after the upsert", e),
                    [_, { Value: 1 }] => null,
                    _ => Leak(AuditCodes.CrossTenantUpsert, $"As tenant B, an INSERT … ON CONFLICT ({columns}) DO UPDATE on tenant A's key in {t} took tenant A's row.",
                        "Give every permissive UPDATE policy a USING that compares the tenant column with the setting, so a conflicting row of another tenant is rejected."),
                });
        }

        yield return new Probe(
            [new(null, new($"SELECT count(*) FROM {t}", []), Query: true)],
            o => o[0] switch
            {
                { Error: { } e } => NotProbed("the read with no tenant set", e),
                { Value: > 0 } r => Leak(AuditCodes.VisibleWithoutTenant, $"With no tenant set, a query of {t} returns {Rows(r.Value)}.",
                    $"Compare the tenant column with NULLIF(current_setting('{_settingName}', true), '') so that an unset tenant matches no row, and drop policies that ignore the tenant."),
                _ => null,
            });
    }

    /// <summary>The finding for a seed that failed.</summary>
    public AuditFinding SeedFailed(string which, PostgresException error) => VerifierFindings.NotVerified(Target,
        $"The verifier could not seed a row of tenant {which} into {Target}: {error.SqlState}: {error.MessageText}",
        Hint(error));

    public AuditFinding CannotSeed() => VerifierFindings.NotVerified(Target,
        $"The verifier could not seed {Target}: {Unseedable}.",
        "Give the column(s) a default, or verify the table with PolicyTransaction and rows your test seeds itself.");

    private string Hint(PostgresException error) =>
        error.SqlState == PostgresErrorCodes.InsufficientPrivilege && _table.Shape == TenantPolicyShape.Signed
            ? "The policies trust the signed context: pass the TenantOptions with its SigningKey and SigningKeyId to the verifier."
            : error.SqlState == PostgresErrorCodes.InsufficientPrivilege
                ? "Grant the app login INSERT and SELECT on the table, and make the tenant policy admit a tenant's own rows."
                : "Relax the constraint for a test database, or verify the table with PolicyTransaction and rows your test seeds itself.";

    private Probe Control(string tenant, string which) => new(
        [new(tenant, new($"SELECT count(*) FROM {_table.QuotedName} WHERE {Q(_tenant)} = $1::{_tenant.Type}", [tenant]), Query: true)],
        o => o[0] switch
        {
            { Error: { } e } => NotProbed($"the read as tenant {which} of its own row", e),
            { Value: 1 } => null,
            var r => VerifierFindings.NotVerified(Target,
                $"As tenant {which}, {Target} shows {Rows(r.Value)} of tenant {which} after the verifier seeded one: the probes would prove nothing.",
                "Make the tenant policy admit a tenant's own rows (USING compares the tenant column with the setting)."),
        });

    private AuditFinding? Filtered(Outcome outcome, string code, string what, string probe) => outcome switch
    {
        { Error.SqlState: PostgresErrorCodes.InsufficientPrivilege } or { Error: null, Value: 0 } => null,
        { Error: { } e } => NotProbed(probe, e),
        _ => Leak(code, $"{what} affected {Rows(outcome.Value)}.",
            "Make every permissive policy's USING compare the tenant column with the setting, and enable and force Row-Level Security."),
    };

    private AuditFinding NotProbed(string probe, PostgresException error) => VerifierFindings.NotVerified(Target,
        $"The verifier could not complete {probe} on {Target}: {error.SqlState}: {error.MessageText}",
        "Make the statement valid for the app login (privileges, constraints), so that only the policies decide it.");

    private AuditFinding Leak(string code, string title, string fix) => VerifierFindings.Leak(code, Target, title, fix);

    private Dictionary<string, string?> Row() => _filled.ToDictionary(c => c.Name, c => _values.Next(c.Type), StringComparer.Ordinal);

    private Statement Insert(string tenant, Dictionary<string, string?> row, bool returning)
    {
        var columns = new List<string> { Q(_tenant) };
        var values = new List<string> { "$1::" + _tenant.Type };
        var args = new List<string?> { tenant };
        foreach (var column in _filled)
        {
            args.Add(row[column.Name]);
            columns.Add(Q(column));
            values.Add("$" + args.Count.ToString(CultureInfo.InvariantCulture) + "::" + column.Type);
        }

        var sql = $"INSERT INTO {_table.QuotedName} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", values)})";
        if (returning && _key is { } key)
        {
            sql += " RETURNING " + string.Join(", ", key.Select(k => Q(k) + "::text"));
        }

        return new Statement(sql, args);
    }

    private static string Q(TableColumn column) => column.Quoted ?? column.Name;

    private static string Rows(long count) => count == 1 ? "1 row" : count.ToString(CultureInfo.InvariantCulture) + " rows";
}
