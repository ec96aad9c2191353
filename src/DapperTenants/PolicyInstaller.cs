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
}
