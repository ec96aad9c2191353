using DapperTenants.Tests.Support;
using Npgsql;

namespace DapperTenants.Tests.SupportAccess;

/// <summary>The orders table as an [Rls] type, so that the installer gives it the support policies.</summary>
[Rls("orders")]
public sealed class SupportOrder
{
    public int Id { get; set; }

    public string Tenant { get; set; } = "";

    public decimal Total { get; set; }

    public string? Note { get; set; }
}

/// <summary>
/// The orders database (acme 1–5, globex 101–103, initech 201–202) with support access installed by the real installer:
/// a NOLOGIN support role, an operator login that is a member of it, and the app login, which is not.
/// </summary>
public sealed class SupportDatabase : IAsyncDisposable
{
    private readonly List<NpgsqlDataSource> _sources = [];

    private SupportDatabase(OrdersDatabase orders, string supportRole, string operatorLogin, PolicyPlan plan)
    {
        Orders = orders;
        SupportRole = supportRole;
        OperatorLogin = operatorLogin;
        Plan = plan;
    }

    public OrdersDatabase Orders { get; }

    public NpgsqlDataSource Owner => Orders.Owner;

    public string AppRole => Orders.Database.AppRole;

    public string SupportRole { get; }

    public string OperatorLogin { get; }

    /// <summary>The plan the installer applied.</summary>
    public PolicyPlan Plan { get; }

    public string OperatorConnectionString(Action<NpgsqlConnectionStringBuilder>? configure = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(Orders.Database.AppConnectionString) { Username = OperatorLogin };
        configure?.Invoke(builder);
        return builder.ConnectionString;
    }

    public static async Task<SupportDatabase> CreateAsync(string prefix, Action<PolicyInstaller>? configure = null)
    {
        var orders = await OrdersDatabase.CreateAsync(prefix);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var supportRole = "dt_support_" + suffix;
        var operatorLogin = "dt_operator_" + suffix;
        await orders.Database.ExecuteAsAdminAsync($"""
            CREATE ROLE "{supportRole}" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
            CREATE ROLE "{operatorLogin}" LOGIN PASSWORD '{orders.Database.Password}' NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
            GRANT "{supportRole}" TO "{operatorLogin}";
            GRANT CONNECT ON DATABASE "{orders.Database.Name}" TO "{supportRole}";
            """);
        var installer = new PolicyInstaller(orders.Owner).Add<SupportOrder>().GrantTo(orders.Database.AppRole).UseSupportAccess(supportRole);
        configure?.Invoke(installer);
        var plan = await installer.ApplyAsync();
        plan.HasErrors.ShouldBeFalse(plan.ToString());
        return new SupportDatabase(orders, supportRole, operatorLogin, plan);
    }

    /// <summary>A support data source for the operator login over its own Npgsql data source (disposed with the database).</summary>
    public SupportDataSource CreateSupport(Action<NpgsqlConnectionStringBuilder>? configure = null) => new(CreateOperatorDataSource(configure));

    public NpgsqlDataSource CreateOperatorDataSource(Action<NpgsqlConnectionStringBuilder>? configure = null)
    {
        var source = NpgsqlDataSource.Create(OperatorConnectionString(configure));
        _sources.Add(source);
        return source;
    }

    /// <summary>A fresh, unpooled connection as the operator login, running SQL of its own (the attacker's view).</summary>
    public async Task<NpgsqlConnection> OpenRawOperatorAsync()
    {
        var connection = new NpgsqlConnection(OperatorConnectionString(b => b.Pooling = false));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A fresh, unpooled connection as the app login (neither superuser, BYPASSRLS nor owner).</summary>
    public async Task<NpgsqlConnection> OpenAppAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Orders.Database.AppConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<List<SupportAccessEntry>> LogAsync() => [.. await new SupportAccessLog(Owner).ReadAsync()];

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

        var admin = Orders.Database.Server.AdminConnectionString;
        await Orders.DisposeAsync();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"""DROP ROLE IF EXISTS "{OperatorLogin}"; DROP ROLE IF EXISTS "{SupportRole}";""");
    }
}
