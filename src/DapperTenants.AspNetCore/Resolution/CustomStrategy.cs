using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DapperTenants.AspNetCore.Resolution;

/// <summary>The application's own resolver; <see langword="null"/> or an empty string names no tenant.</summary>
internal sealed class CustomStrategy(Func<HttpContext, ValueTask<string?>> resolve, int position) : TenantStrategy
{
    public override string Description { get; } = $"custom resolver #{position}";

    public override async ValueTask<StringValues> ResolveAsync(HttpContext context)
    {
        var value = await resolve(context).ConfigureAwait(false);
        return string.IsNullOrEmpty(value) ? StringValues.Empty : new StringValues(value);
    }
}
