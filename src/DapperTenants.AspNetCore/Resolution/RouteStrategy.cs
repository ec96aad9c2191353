using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DapperTenants.AspNetCore.Resolution;

/// <summary>A route value of the matched endpoint, such as <c>{tenant}</c> in <c>/t/{tenant}/orders</c>.</summary>
internal sealed class RouteStrategy(string routeKey) : TenantStrategy
{
    public override string Description { get; } = $"route value '{routeKey}'";

    public override ValueTask<StringValues> ResolveAsync(HttpContext context)
    {
        var value = context.Request.RouteValues.TryGetValue(routeKey, out var raw) ? Convert.ToString(raw, CultureInfo.InvariantCulture) : null;
        return ValueTask.FromResult(string.IsNullOrEmpty(value) ? StringValues.Empty : new StringValues(value));
    }
}
