using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DapperTenants.AspNetCore.Resolution;

/// <summary>
/// The one label in front of a configured domain: <c>acme.example.com</c> under <c>example.com</c> is <c>acme</c>, in
/// lower case (host names are case-insensitive). Deeper names (<c>a.b.example.com</c>), the bare domain, and names that
/// merely end with the same letters (<c>acme.evilexample.com</c>) name no tenant.
/// </summary>
internal sealed class HostStrategy : TenantStrategy
{
    private readonly string _suffix;

    public HostStrategy(string domain)
    {
        var normalized = domain.Trim().TrimStart('.').TrimEnd('.').ToLowerInvariant();
        _suffix = "." + normalized;
        Description = $"host name under '{normalized}'";
    }

    public override string Description { get; }

    public override ValueTask<StringValues> ResolveAsync(HttpContext context) =>
        ValueTask.FromResult(Label(context.Request.Host.Host) is { } label ? new StringValues(label) : StringValues.Empty);

    internal string? Label(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return null;
        }

        if (host.EndsWith('.'))
        {
            host = host[..^1];
        }

        if (host.Length <= _suffix.Length || !host.EndsWith(_suffix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var label = host[..^_suffix.Length];
        return label.Contains('.', StringComparison.Ordinal) ? null : label.ToLowerInvariant();
    }
}
