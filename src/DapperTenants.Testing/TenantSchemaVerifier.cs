using System.Reflection;
using DapperTenants.Catalog;
using DapperTenants.Connections;
using DapperTenants.Policies;
using DapperTenants.Testing.Verification;
using Npgsql;

namespace DapperTenants.Testing;

/// <summary>
/// Verifies in one call that the database isolates every table the <see cref="RlsAttribute"/> types map, and
/// reports each problem with a code shared with <see cref="TenantAudit"/> and <c>dapper-tenants audit</c>.
/// Framework-neutral: <see cref="Verify()"/> returns a <see cref="SchemaVerificationReport"/>, and
/// <see cref="AssertVerified()"/> throws one <see cref="SchemaVerificationException"/> listing every failure.
/// </summary>
/// <remarks>
/// <para>Per table, from the catalog (read as the owner, through the same model as the installer and the audit):</para>
/// <list type="bullet">
/// <item>Row-Level Security enabled (DT001) and forced (DT002), with a policy (DT003); no always-true permissive policy
/// (DT004) and none ignoring the tenant (DT005) reaching the app login; the app login not superuser, BYPASSRLS or owner
/// (DT010, DT011, DT012), and without TRUNCATE (DT013).</item>
/// <item>A permissive policy compares the [Rls] tenant column (DT101) with the tenant setting or the signed context
/// (DT104), and wraps the raw setting in NULLIF so an empty setting matches nothing (DT102); the column's default stamps
/// the tenant (DT103). A type whose table or column is missing is DT100.</item>
/// </list>
/// <para>
/// Then, on the app login inside a transaction that is always rolled back, it seeds one row for each of two fresh
/// tenants A and B (values made up for the NOT NULL columns without a default) and, as B, each in a savepoint: a
/// SELECT must not see A's row (DT110), an INSERT stamped A must be rejected (DT111), an UPDATE of A's row must affect
/// nothing and moving B's row to A must be rejected (DT112), a DELETE of A's row must affect nothing (DT113), an
/// upsert onto A's key must leave A's row A's (DT114); with no tenant set nothing is visible (DT115). A table it cannot
/// seed or probe (constraints, unknown column types, missing privileges) is DT119: not verified, never passed.
/// </para>
/// <para>
/// Run it against a test database, as the owner and the application's login (<c>NOSUPERUSER NOBYPASSRLS</c>, owner of
/// nothing); the seeded rows never commit, but their inserts still take sequence values and fire triggers. With the
/// signed context, pass the <see cref="TenantOptions"/> holding the <see cref="TenantOptions.SigningKey"/>. A reusable,
/// thread-safe instance once its types are added.
/// </para>
/// </remarks>
public sealed partial class TenantSchemaVerifier
{
    private const string LoginSql = "SELECT current_user::text";

    private readonly NpgsqlDataSource _owner;
    private readonly NpgsqlDataSource _app;
    private readonly TenantOptions _options;
    private readonly List<Type> _types = [];

    /// <summary>Creates a verifier.</summary>
    /// <param name="ownerDataSource">A data source for the role that owns the tables (to read the catalog). The caller keeps ownership of it.</param>
    /// <param name="appDataSource">A data source for the application's login (for the probes). The caller keeps ownership of it.</param>
    /// <param name="options">
    /// The library's options: their <see cref="TenantOptions.SettingName"/>, and with the signed context their
    /// <see cref="TenantOptions.SigningKey"/> and <see cref="TenantOptions.SigningKeyId"/>; <see langword="null"/> for the defaults.
    /// </param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public TenantSchemaVerifier(NpgsqlDataSource ownerDataSource, NpgsqlDataSource appDataSource, TenantOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ownerDataSource);
        ArgumentNullException.ThrowIfNull(appDataSource);
        var copy = options?.Clone() ?? new TenantOptions();
        copy.Validate(nameof(options));
        _owner = ownerDataSource;
        _app = appDataSource;
        _options = copy;
    }

    /// <summary>Adds <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">An <see cref="RlsAttribute"/> type.</typeparam>
    /// <returns>This verifier.</returns>
    /// <exception cref="ArgumentException">The type has no <see cref="RlsAttribute"/>.</exception>
    public TenantSchemaVerifier Add<T>() => Add(typeof(T));

    /// <summary>Adds a type; adding it twice is harmless.</summary>
    /// <param name="type">An <see cref="RlsAttribute"/> type.</param>
    /// <returns>This verifier.</returns>
    /// <exception cref="ArgumentException">The type has no <see cref="RlsAttribute"/>.</exception>
    public TenantSchemaVerifier Add(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.GetCustomAttribute<RlsAttribute>(inherit: false) is null)
        {
            throw new ArgumentException($"{ModelScanner.ClassName(type)} has no [Rls] attribute. Tag it with [Rls], or do not add it.", nameof(type));
        }

        lock (_types)
        {
            if (!_types.Contains(type))
            {
                _types.Add(type);
            }
        }

        return this;
    }

    /// <summary>Adds every <see cref="RlsAttribute"/> class of an assembly, in order of full name (as <see cref="PolicyInstaller.AddAssembly"/>).</summary>
    /// <param name="assembly">The assembly to scan.</param>
    /// <returns>This verifier.</returns>
    public TenantSchemaVerifier AddAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in ModelScanner.RlsTypesOf(assembly))
        {
            Add(type);
        }

        return this;
    }

    /// <summary>Runs every check and probe on every added type's table.</summary>
    /// <returns>The report; <see cref="SchemaVerificationReport.Passed"/> when every table is isolated.</returns>
    /// <exception cref="RlsModelException">The types cannot be turned into policies (every problem in one message).</exception>
    /// <exception cref="InvalidOperationException">No type was added.</exception>
    public SchemaVerificationReport Verify()
    {
        var models = Models();
        var request = Request(models);
        CatalogTables tables;
        using (var owner = _owner.OpenConnection())
        {
            tables = CatalogReader.ReadTables(owner, request);
        }

        using var app = _app.OpenConnection();
        string login;
        using (var command = new NpgsqlCommand(LoginSql, app))
        {
            login = (string)command.ExecuteScalar()!;
        }

        var audit = new TenantAudit(_owner, AuditOptions(models, login)).Run();
        var runner = new ProbeRunner(app, _options.SettingName, ContextValue());
        var results = new List<TableVerification>();
        foreach (var model in models)
        {
            var (findings, plan) = Check(model, tables, audit);
            if (plan is not null)
            {
                findings.AddRange(runner.Run(plan));
            }

            results.Add(Result(model, tables, findings));
        }

        return new SchemaVerificationReport(login, LoginFindings(audit), results);
    }

    /// <summary>Runs <see cref="Verify()"/> and throws if the report did not pass.</summary>
    /// <returns>The report, which passed.</returns>
    /// <exception cref="SchemaVerificationException">A table is not isolated or not verified; the message lists every finding.</exception>
    public SchemaVerificationReport AssertVerified() => ThrowIfFailed(Verify());

    private static SchemaVerificationReport ThrowIfFailed(SchemaVerificationReport report) =>
        report.Passed ? report : throw new SchemaVerificationException(report);

    private IReadOnlyList<TableModel> Models()
    {
        List<Type> types;
        lock (_types)
        {
            types = [.. _types];
        }

        if (types.Count == 0)
        {
            throw new InvalidOperationException("The verifier has no [Rls] type to verify: call Add<T>(), Add(Type) or AddAssembly(Assembly) first.");
        }

        return ModelScanner.Build(types);
    }

    private CatalogRequest Request(IReadOnlyList<TableModel> models) => new(_options.SettingName)
    {
        Requested = [.. models.Select(m => (m.Schema, m.Table, m.TenantColumn))],
        Details = true,
    };

    private TenantAuditOptions AuditOptions(IReadOnlyList<TableModel> models, string login) => new()
    {
        SettingName = _options.SettingName,
        AppRole = login,
        TenantColumns = [.. models.Select(m => m.TenantColumn).Distinct(StringComparer.Ordinal)],
    };

    private Func<string, string> ContextValue()
    {
        var minter = TenantTokenMinter.Create(_options);
        return minter is null ? tenant => tenant : minter.TokenFor;
    }

    private (List<AuditFinding> Findings, TablePlan? Plan) Check(TableModel model, CatalogTables tables, AuditReport audit)
    {
        if (tables.Find(model.Schema, model.Table) is not { } table || table.Column(model.TenantColumn) is null)
        {
            return ([VerifierFindings.TableMissing(model)], null);
        }

        var auditFindings = StaticChecks.AuditFindingsOf(table, audit.Findings).ToList();
        var findings = auditFindings.Concat(StaticChecks.Check(model, table, auditFindings, _options.SettingName)).ToList();
        return (findings, TablePlan.Create(model, table, _options.SettingName));
    }

    private static TableVerification Result(TableModel model, CatalogTables tables, List<AuditFinding> findings)
    {
        var name = tables.Find(model.Schema, model.Table)?.QuotedName ?? model.Schema + "." + model.Table;
        return new TableVerification(name, model.TenantColumn, model.Sources,
            [.. findings.OrderBy(f => f.Code, StringComparer.Ordinal).ThenBy(f => f.Target, StringComparer.Ordinal)]);
    }

    private static List<AuditFinding> LoginFindings(AuditReport audit) =>
        [.. audit.Findings.Where(f => f.Code is AuditCodes.AppRoleSuperuser or AuditCodes.AppRoleBypassesRls)];
}
