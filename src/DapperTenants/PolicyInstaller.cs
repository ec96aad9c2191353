using System.Reflection;
using DapperTenants.Catalog;
using DapperTenants.Policies;
using Npgsql;

namespace DapperTenants;

/// <summary>
/// Brings a database to the Row-Level Security state that <see cref="RlsAttribute"/> types describe: RLS enabled and
/// forced, one policy per table that admits only the connection's tenant, and a tenant column default. Idempotent:
/// a second run finds nothing to do and sends no DDL.
/// </summary>
/// <remarks>
/// <para>
/// Connect it as the tables' owner (policies and <c>ALTER TABLE</c> need ownership), never as the application's login.
/// <see cref="ApplyAsync"/> plans and applies in one transaction under an advisory lock, so several application
/// instances may run it at startup at once. It never creates tables or columns: a missing one is an error.
/// </para>
/// <para>
/// A stored expression that is not printed as expected is confirmed against the server's own rendering of the model,
/// made on temporary tables inside a savepoint that is rolled back; that needs the <c>TEMPORARY</c> privilege on the
/// database, which PostgreSQL grants to everyone by default.
/// </para>
/// <para>
/// Register types first, then plan, apply or script; registration is not thread-safe, planning and applying are.
/// </para>
/// </remarks>
public sealed partial class PolicyInstaller
{
    private static readonly IReadOnlyDictionary<ExpressionKey, RenderedExpressions> NoRenderings = new Dictionary<ExpressionKey, RenderedExpressions>();

    private readonly NpgsqlDataSource _ownerDataSource;
    private readonly string _settingName;
    private readonly List<Type> _types = [];
    private readonly List<string> _roles = [];
    private readonly List<SigningKeyModel> _keys = [];
    private readonly List<string> _retired = [];

    /// <summary>Creates an installer that connects through <paramref name="ownerDataSource"/> (the tables' owner).</summary>
    /// <param name="ownerDataSource">A data source for the role that owns the tables. The caller keeps ownership of it.</param>
    /// <param name="options">
    /// The options whose <see cref="TenantOptions.SettingName"/> the policies read; <see langword="null"/> for the defaults.
    /// With a <see cref="TenantOptions.SigningKey"/>, the installer installs the signed context with that key and
    /// <see cref="TenantOptions.SigningKeyId"/>, as <see cref="UseSignedContext"/> does.
    /// </param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public PolicyInstaller(NpgsqlDataSource ownerDataSource, TenantOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ownerDataSource);
        var copy = options?.Clone() ?? new TenantOptions();
        copy.Validate(nameof(options));
        _ownerDataSource = ownerDataSource;
        _settingName = copy.SettingName;
        _contextScope = copy.ContextScope;
        if (copy.SigningKey is { } key)
        {
            _keys.Add(new SigningKeyModel(copy.SigningKeyId, key));
        }
    }

    /// <summary>Registers <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">An <see cref="RlsAttribute"/> type.</typeparam>
    /// <returns>This installer.</returns>
    /// <exception cref="ArgumentException">The type has no <see cref="RlsAttribute"/>.</exception>
    public PolicyInstaller Add<T>() => Add(typeof(T));

    /// <summary>Registers a type. Registering a type twice is harmless.</summary>
    /// <param name="type">An <see cref="RlsAttribute"/> type.</param>
    /// <returns>This installer.</returns>
    /// <exception cref="ArgumentException">The type has no <see cref="RlsAttribute"/>.</exception>
    /// <remarks>The type is checked when the installer plans, applies or scripts: <see cref="RlsModelException"/> then lists every problem of every type.</remarks>
    public PolicyInstaller Add(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.GetCustomAttribute<RlsAttribute>(inherit: false) is null)
        {
            throw new ArgumentException($"{ModelScanner.ClassName(type)} has no [Rls] attribute. Tag it with [Rls], or do not register it.", nameof(type));
        }

        if (!_types.Contains(type))
        {
            _types.Add(type);
        }

        return this;
    }

    /// <summary>Registers every <see cref="RlsAttribute"/> type of an assembly, in order of full name.</summary>
    /// <param name="assembly">The assembly to scan.</param>
    /// <returns>This installer.</returns>
    public PolicyInstaller AddAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in ModelScanner.RlsTypesOf(assembly))
        {
            Add(type);
        }

        return this;
    }

    /// <summary>
    /// Also grants <paramref name="role"/> what the application needs: <c>USAGE</c> on each schema, <c>SELECT, INSERT,
    /// UPDATE, DELETE</c> on each table and <c>USAGE, SELECT</c> on its serial and identity sequences.
    /// </summary>
    /// <param name="role">The application's login or group role, exactly as in PostgreSQL.</param>
    /// <returns>This installer.</returns>
    /// <exception cref="ArgumentException">The role name is empty, too long, or contains NUL.</exception>
    /// <remarks>Never <c>TRUNCATE</c> or <c>REFERENCES</c>: both ignore Row-Level Security. The plan warns when the role has them.</remarks>
    public PolicyInstaller GrantTo(string role)
    {
        ArgumentNullException.ThrowIfNull(role);
        if (Identifiers.Problem(role) is { } problem)
        {
            throw new ArgumentException($"The role name {Identifiers.Display(role)} {problem}.", nameof(role));
        }

        if (!_roles.Contains(role))
        {
            _roles.Add(role);
        }

        return this;
    }

    /// <summary>
    /// The full DDL for the registered types, for a migration tool: re-runnable, and leaving the same state as
    /// <see cref="ApplyAsync"/>. Needs no database.
    /// </summary>
    /// <returns>SQL statements, including <c>DO</c> blocks that treat the partitions and sequences present when the script runs.</returns>
    /// <exception cref="RlsModelException">A registered type cannot be turned into a policy.</exception>
    /// <exception cref="InvalidOperationException"><see cref="UseCitus"/> is combined with the signed context or session scope.</exception>
    /// <remarks>
    /// Run it in one transaction. Partitions attached later need the script (or <see cref="ApplyAsync"/>) to run again.
    /// Unlike <see cref="ApplyAsync"/>, it cannot check that tables and columns exist or that their types agree: PostgreSQL
    /// reports a missing one when the script runs. With <see cref="UseSignedContext"/>, each signing key is a placeholder
    /// (a psql variable) that the script explains how to fill; see <see cref="Script(bool)"/>.
    /// </remarks>
    public string Script() => Script(includeSigningKeys: false);

    /// <summary>The full DDL for the registered types, for a migration tool, with the signing keys in it when asked.</summary>
    /// <param name="includeSigningKeys">
    /// <see langword="true"/> to write each key given to <see cref="UseSignedContext"/> into the script as hex;
    /// <see langword="false"/> for a placeholder that the script says how to fill.
    /// </param>
    /// <returns>SQL statements, re-runnable.</returns>
    /// <exception cref="RlsModelException">A registered type cannot be turned into a policy.</exception>
    /// <remarks>A script with keys is as secret as the keys: never commit it, log it or leave it on disk.</remarks>
    /// <exception cref="InvalidOperationException"><see cref="UseCitus"/> is combined with the signed context or session scope.</exception>
    public string Script(bool includeSigningKeys)
    {
        ThrowIfCitusConflicts();
        var models = ModelScanner.Build(_types);
        return PolicyScript.Render(models, _settingName, _roles.ToArray(), SignedModel(), includeSigningKeys, _hardening, _registry, _citus)
            + SupportScript.Render(_support, models);
    }

    /// <summary>Compares the database with the registered types and returns what applying would do, changing nothing.</summary>
    /// <returns>The plan.</returns>
    /// <exception cref="RlsModelException">A registered type cannot be turned into a policy.</exception>
    /// <exception cref="InvalidOperationException">The installer is connected to a standby server, or <see cref="UseCitus"/> was called (Citus mode is supported by <see cref="Script()"/> only).</exception>
    public PolicyPlan Plan()
    {
        var (models, roles, signed) = Snapshot();
        using var connection = _ownerDataSource.OpenConnection();
        RefuseStandby(connection);
        using var transaction = connection.BeginTransaction();
        var plan = PlanOn(connection, models, roles, signed);
        transaction.Rollback();
        return plan;
    }

    /// <summary>Plans and applies, in one transaction under an advisory lock, and returns the plan that was applied.</summary>
    /// <returns>The applied plan; <see cref="PolicyPlan.IsEmpty"/> when there was nothing to do (no DDL is then sent).</returns>
    /// <exception cref="RlsModelException">A registered type cannot be turned into a policy, or the plan has errors (nothing is applied).</exception>
    /// <exception cref="InvalidOperationException">The installer is connected to a standby server, or <see cref="UseCitus"/> was called (Citus mode is supported by <see cref="Script()"/> only).</exception>
    public PolicyPlan Apply()
    {
        var (models, roles, signed) = Snapshot();
        using var connection = _ownerDataSource.OpenConnection();
        RefuseStandby(connection);
        using var transaction = connection.BeginTransaction();
        Execute(connection, PolicySql.LockStatement);
        var plan = PlanOn(connection, models, roles, signed);
        ThrowIfErrors(plan);
        if (plan.Steps.Count > 0)
        {
            using var batch = CreateBatch(connection, plan);
            batch.ExecuteNonQuery();
        }

        transaction.Commit();
        return plan;
    }

    private (IReadOnlyList<TableModel> Models, string[] Roles, SignedContextModel Signed) Snapshot()
    {
        RefuseCitusOnDatabase();
        return (ModelScanner.Build(_types.ToArray()), _roles.ToArray(), SignedModel());
    }

    private CatalogRequest Request(IReadOnlyList<TableModel> models) => new(_settingName)
    {
        Requested = [.. models.Select(m => (m.Schema, m.Table, m.TenantColumn))],
        Details = true,
    };

    private PolicyPlan PlanOn(NpgsqlConnection connection, IReadOnlyList<TableModel> models, string[] roles, SignedContextModel signed)
    {
        var catalog = CatalogReader.ReadForInstaller(connection, Request(models), roles);
        var signedCatalog = signed.Touched ? SignedContextCatalogReader.Read(connection, signed, roles) : null;
        var first = PolicyPlanner.Plan(models, catalog, _settingName, roles, NoRenderings, signed.Signed);
        var plan = first.Plan;
        if (first.Unconfirmed.Count > 0 && CanRender(signed, signedCatalog))
        {
            var rendered = ExpressionRenderer.Render(connection, first.Unconfirmed, _settingName, signed.Signed);
            plan = PolicyPlanner.Plan(models, catalog, _settingName, roles, rendered, signed.Signed).Plan;
        }

        var combined = WithRegistry(Combine(plan, signed, signedCatalog, roles, catalog.CurrentUser), _registry, ReadRegistry(connection, _registry, roles), roles, catalog.CurrentUser);
        var hardened = WithHardening(combined, ReadHardening(connection, models, roles), roles, catalog.CurrentUser);
        return WithSupport(hardened, ReadSupport(connection, models), models, roles, catalog.CurrentUser, signed.Signed || signedCatalog is { VerifierExists: true });
    }

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>One statement per batch command: one round trip, and no statement splitting on the client.</summary>
    private static NpgsqlBatch CreateBatch(NpgsqlConnection connection, PolicyPlan plan)
    {
        var batch = new NpgsqlBatch(connection);
        foreach (var step in plan.Steps)
        {
            foreach (var statement in step.Statements)
            {
                var command = new NpgsqlBatchCommand(statement);
                if (step.BoundKey is { } key)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
                }

                batch.BatchCommands.Add(command);
            }
        }

        return batch;
    }

    private static void ThrowIfErrors(PolicyPlan plan)
    {
        if (plan.HasErrors)
        {
            throw new RlsModelException(
                "PolicyInstaller applied nothing: the database does not match the [Rls] types."
                + string.Concat(plan.Errors.Select(e => Environment.NewLine + "- " + e))
                + Environment.NewLine + "Fix these and run it again; PlanAsync() lists them without changing anything.");
        }
    }
}
