namespace DapperTenants.Cli.Sample;

/// <summary>Not tagged: the installer must leave it alone.</summary>
public sealed class Unprotected
{
    public int Id { get; set; }
}
