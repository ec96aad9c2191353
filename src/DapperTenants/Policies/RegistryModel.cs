namespace DapperTenants.Policies;

/// <summary>What <see cref="PolicyInstaller.UseTenantRegistry()"/> asks for.</summary>
/// <param name="Enabled">Whether to install the registry at all.</param>
/// <param name="AppMayCreate">Whether the <see cref="PolicyInstaller.GrantTo"/> roles may register missing tenants through the function.</param>
internal sealed record RegistryModel(bool Enabled, bool AppMayCreate)
{
    public static readonly RegistryModel Off = new(false, false);
}
