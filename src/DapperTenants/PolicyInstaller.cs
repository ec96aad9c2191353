using System.Reflection;
using Npgsql;

namespace DapperTenants;

/// <summary>Brings a database to the Row-Level Security state that <see cref="RlsAttribute"/> types describe.</summary>
public sealed class PolicyInstaller
{
    /// <summary>Creates an installer that connects through <paramref name="ownerDataSource"/> (the tables' owner).</summary>
    /// <param name="ownerDataSource">A data source for the role that owns the tables.</param>
    /// <param name="options">The options whose <see cref="TenantOptions.SettingName"/> the policies read.</param>
    public PolicyInstaller(NpgsqlDataSource ownerDataSource, TenantOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ownerDataSource);
        _ = options;
    }

    /// <summary>Registers <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">An <see cref="RlsAttribute"/> type.</typeparam>
    /// <returns>This installer.</returns>
    public PolicyInstaller Add<T>() => Add(typeof(T));

    /// <summary>Registers a type.</summary>
    /// <param name="type">An <see cref="RlsAttribute"/> type.</param>
    /// <returns>This installer.</returns>
    public PolicyInstaller Add(Type type) => throw new NotImplementedException();

    /// <summary>Registers every <see cref="RlsAttribute"/> type of an assembly.</summary>
    /// <param name="assembly">The assembly to scan.</param>
    /// <returns>This installer.</returns>
    public PolicyInstaller AddAssembly(Assembly assembly) => throw new NotImplementedException();

    /// <summary>Grants the registered tables' data privileges to a role (the application login).</summary>
    /// <param name="role">The role to grant to.</param>
    /// <returns>This installer.</returns>
    public PolicyInstaller GrantTo(string role) => throw new NotImplementedException();

    /// <summary>Compares the registered types with the database and lists what <see cref="ApplyAsync"/> would change.</summary>
    /// <param name="cancellationToken">Cancels the catalog read.</param>
    /// <returns>The plan; empty when the database already matches.</returns>
    public Task<PolicyPlan> PlanAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Plans and applies the changes in one transaction.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The plan that was applied.</returns>
    public Task<PolicyPlan> ApplyAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>The complete, idempotent DDL for the registered types, without reading the database.</summary>
    /// <returns>The SQL script.</returns>
    public string Script() => throw new NotImplementedException();
}
