using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DapperTenants.AspNetCore.Resolution;

/// <summary>The value of a request header. A header sent several times is ambiguous, never "the first one".</summary>
internal sealed class HeaderStrategy(string headerName) : TenantStrategy
{
    public override string Description { get; } = $"header '{headerName}'";

    public override ValueTask<StringValues> ResolveAsync(HttpContext context) =>
        ValueTask.FromResult(context.Request.Headers.TryGetValue(headerName, out var values) ? NonEmpty(values) : StringValues.Empty);
}
