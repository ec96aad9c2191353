using System.Data.Common;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Parity;

/// <summary>
/// Runs each case's Dapper/ADO.NET code twice, on a plain <see cref="Npgsql.NpgsqlConnection"/> for the app login whose
/// session has the tenant set by hand (the reference) and on a <see cref="TenantConnection"/>, both for tenant acme, and
/// asserts the same observable outcome: the same values, or the same exception (type, SQL state, message).
/// </summary>
/// <remarks>
/// The reference runs first and must succeed: where Npgsql itself refuses a step, the case records that step's
/// outcome with <see cref="Outcome.OfAsync(Func{Task})"/> and expects the same refusal. Reads stay on the seeded rows
/// (id &lt; 10000); each side writes rows of its own (<see cref="ParitySide.NewId"/>), so no case depends on the other
/// side's writes.
/// </remarks>
public abstract partial class ParityFixture(SyncOrAsync mode, TenantContextScope scope)
{
    protected const string Acme = OrdersDatabase.Acme;

    /// <summary>The seeded orders, acme's being ids 1 to 5.</summary>
    protected const string Seed = "select id, tenant, total, note from orders where id < 10000";

    protected OrdersDatabase Db { get; private set; } = null!;

    protected TenantDataSource Tenants { get; private set; } = null!;

    protected bool Async => mode == SyncOrAsync.Async;

    protected TenantContextScope Scope => scope;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        Db = await OrdersDatabase.CreateAsync("parity");
        Tenants = Db.CreateTenants(options: o => o.ContextScope = scope);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await Tenants.DisposeAsync();
        await Db.DisposeAsync();
    }

    /// <summary>Runs <paramref name="call"/> on both sides, asserts the same outcome and that it is a value; returns the reference's value.</summary>
    protected async Task<T> SameAsync<T>(Func<ParitySide, Task<T>> call)
    {
        var (reference, value, error) = await RunAsync(call, isTenant: false);
        var (ours, _, ourError) = await RunAsync(call, isTenant: true);
        if (error is not null)
        {
            Assert.Fail($"The reference NpgsqlConnection failed where this case expects a value:{Environment.NewLine}{reference}");
        }

        Assert.That(ours, Is.EqualTo(reference), Because(reference, ours, ourError));
        return value!;
    }

    /// <summary>The tenant a row was stamped with, read as a superuser; null when the row does not exist.</summary>
    protected async Task<string?> StampAsync(int id) => (await Db.AllOrdersAsync()).SingleOrDefault(o => o.Id == id)?.Tenant;

    private string Because(string reference, string ours, Exception? ourError) =>
        $"A TenantConnection ({mode}, {scope} scope) must behave as the NpgsqlConnection reference.{Environment.NewLine}"
        + $"  NpgsqlConnection: {reference}{Environment.NewLine}  TenantConnection: {ours}{Environment.NewLine}"
        + (ourError?.StackTrace is { } stack ? $"  TenantConnection threw at:{Environment.NewLine}{string.Join(Environment.NewLine, stack.Split(Environment.NewLine).Take(8))}{Environment.NewLine}" : "");

    private async Task<(string Outcome, T? Value, Exception? Error)> RunAsync<T>(Func<ParitySide, Task<T>> call, bool isTenant)
    {
        var side = new ParitySide(isTenant, Db, () => OpenAsync(isTenant));
        string outcome;
        T? value = default;
        Exception? error = null;
        try
        {
            await side.StartAsync();
            value = await call(side);
            outcome = Outcome.OfValue(value);
        }
        catch (Exception e) when (e is not AssertionException)
        {
            error = e;
            outcome = Outcome.OfError(e);
        }

        try
        {
            await side.DisposeAsync();
        }
        catch (Exception e) when (error is null)
        {
            error = e;
            outcome = "on dispose: " + Outcome.OfError(e);
        }
        catch (Exception)
        {
            // The case already failed; its first exception is the outcome.
        }

        return (outcome, value, error);
    }

    private async Task<DbConnection> OpenAsync(bool isTenant)
    {
        if (isTenant)
        {
            return Async ? await Tenants.OpenAsync(Acme) : Tenants.Open(Acme);
        }

        var reference = Db.CreateReference(Acme);
        if (Async)
        {
            await reference.OpenAsync();
        }
        else
        {
            reference.Open();
        }

        return reference;
    }
}
