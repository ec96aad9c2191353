using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DapperTenants.AspNetCore.Tests.Support;

/// <summary>
/// Signs the request in when it carries <c>X-Test-User</c>; each <c>X-Test-Tenant-Claim</c> value becomes a <c>tenant</c>
/// claim. Stands for a real scheme (cookie, JWT) whose claims the client cannot forge.
/// </summary>
public sealed class TestUserHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";
    public const string UserHeader = "X-Test-User";
    public const string ClaimHeader = "X-Test-Tenant-Claim";
    public const string ClaimType = "tenant";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(UserHeader, out var user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, user.ToString()) };
        claims.AddRange(Request.Headers[ClaimHeader].Select(t => new Claim(ClaimType, t!)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
