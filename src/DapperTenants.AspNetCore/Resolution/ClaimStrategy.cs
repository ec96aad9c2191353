using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DapperTenants.AspNetCore.Resolution;

/// <summary>
/// The distinct values of a claim type on the user's authenticated identities. Claims of an unauthenticated identity
/// are ignored: anyone can put them there.
/// </summary>
internal sealed class ClaimStrategy(string claimType) : TenantStrategy
{
    public override bool IsClaim => true;

    public override string Description { get; } = $"claim '{claimType}'";

    public override ValueTask<StringValues> ResolveAsync(HttpContext context)
    {
        List<string>? values = null;
        foreach (var identity in context.User.Identities)
        {
            if (!identity.IsAuthenticated)
            {
                continue;
            }

            foreach (var claim in identity.FindAll(claimType))
            {
                if (claim.Value.Length > 0 && !(values ??= []).Contains(claim.Value, StringComparer.Ordinal))
                {
                    values.Add(claim.Value);
                }
            }
        }

        return ValueTask.FromResult(values is null ? StringValues.Empty : new StringValues([.. values]));
    }
}
