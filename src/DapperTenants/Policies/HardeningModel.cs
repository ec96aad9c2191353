namespace DapperTenants.Policies;

/// <summary>What <see cref="PolicyInstaller.Harden"/> asks for.</summary>
/// <param name="Enabled">Whether to harden at all.</param>
/// <param name="TemporaryRoles">Roles that keep TEMPORARY on the database once PUBLIC loses it.</param>
internal sealed record HardeningModel(bool Enabled, IReadOnlyList<string> TemporaryRoles)
{
    public static readonly HardeningModel Off = new(false, []);
}
