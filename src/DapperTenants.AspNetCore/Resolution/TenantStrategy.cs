using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DapperTenants.AspNetCore.Resolution;

/// <summary>One way of reading the tenant from a request. Strategies run in the order they were configured.</summary>
internal abstract class TenantStrategy
{
    /// <summary>Whether the value comes from the signed-in user (a claim) rather than from what the request names.</summary>
    public virtual bool IsClaim => false;

    /// <summary>Where the value comes from, for logs and ProblemDetails: <c>header 'X-Tenant'</c>.</summary>
    public abstract string Description { get; }

    /// <summary>The values the request carries: none, one, or several (ambiguous for a request value; a set for claims).</summary>
    public abstract ValueTask<StringValues> ResolveAsync(HttpContext context);

    /// <summary>Drops empty entries: an empty header or claim names no tenant.</summary>
    protected static StringValues NonEmpty(StringValues values)
    {
        if (values.Count == 0 || (values.Count == 1 && !string.IsNullOrEmpty(values[0])))
        {
            return values;
        }

        var kept = new List<string>(values.Count);
        foreach (var value in values)
        {
            if (!string.IsNullOrEmpty(value))
            {
                kept.Add(value);
            }
        }

        return kept.Count == 0 ? StringValues.Empty : new StringValues([.. kept]);
    }
}
