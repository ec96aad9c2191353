namespace DapperTenants.Policies;

/// <summary>What <see cref="PolicyInstaller.UseSupportAccess"/> asks for.</summary>
/// <param name="Role">The support role (a NOLOGIN group the operators' logins belong to), or <see langword="null"/> when support access is off.</param>
internal sealed record SupportModel(string? Role)
{
    public static readonly SupportModel Off = new((string?)null);

    public bool Enabled => Role is not null;
}
