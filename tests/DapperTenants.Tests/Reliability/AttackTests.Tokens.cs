using DapperTenants.Tests.Signed;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Reliability;

/// <summary>
/// Attacks on the signed context itself (issue #15): the setting set to bad tokens of globex, tokens moved between
/// tenants' leases, and the escape hatch. Each forged token's control sends a valid token of globex the same way.
/// </summary>
public partial class AttackTests
{
    private const string SetToken = "select set_config('dapper_tenants.tenant', @token, true) is null; ";

    /// <summary>The token attacks.</summary>
    public static IEnumerable<AttackCase> TokenCases =>
    [
        Token("token_with_a_forged_mac", _ => Field(Valid(), 5, mac => mac[..^1] + (mac[^1] == '0' ? '1' : '0'))),
        Token("token_truncated", _ => Valid()[..^8]),
        Token("token_without_its_mac", _ => Valid()[..Valid().LastIndexOf('.')]),
        Token("token_expired", _ => SignedDatabase.Minter().Mint(OrdersDatabase.Globex, 0, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 10)),
        Token("token_signed_with_another_key", _ => SignedDatabase.Minter(SignedDatabase.OtherKey).TokenFor(OrdersDatabase.Globex)),
        Token("token_of_a_key_id_not_installed", _ => SignedDatabase.Minter(SignedDatabase.OtherKey, "rotated").TokenFor(OrdersDatabase.Globex)),
        Token("token_for_another_setting", _ => SignedDatabase.Minter(setting: "app.tenant").TokenFor(OrdersDatabase.Globex)),
        Token("token_bound_to_another_backend", acme =>
            SignedDatabase.Minter().Mint(OrdersDatabase.Globex, acme.InnerConnection.ProcessID + 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 300)),
        Token("token_of_acme_with_globex_spliced_in", _ => Field(SignedDatabase.Minter().TokenFor(OrdersDatabase.Acme), 4, _ => Hex(OrdersDatabase.Globex))),
        Token("token_with_its_expiry_pushed_out", _ => Field(Valid(), 2, expiry => (long.Parse(expiry, System.Globalization.CultureInfo.InvariantCulture) + 86_400).ToString(System.Globalization.CultureInfo.InvariantCulture))),
        Token("token_in_upper_case", _ => Valid().ToUpperInvariant()),
        Token("token_with_a_leading_space", _ => " " + Valid()),
        Token("token_of_another_version", _ => "v2" + Valid()[2..]),
        new("token_of_acme_sent_on_a_globex_lease", Outcome.Guard, $"{SetToken}{Read} -- on globex's lease, with acme's token")
        {
            // A token read by SQL on acme's lease grants acme's rows and nothing else: sent on globex's lease it hides
            // globex's own rows and shows no one else's.
            Kind = "set_config",
            Control = string.Empty,
            Script = async run =>
            {
                var token = (await run.ReadAsync(run.Acme, "select current_setting('dapper_tenants.tenant')")).Single();
                await using var globex = await run.OpenAsync(OrdersDatabase.Globex);
                var rows = await run.ReadAsync(globex, SetToken + Read, new { token });
                rows.ShouldContain("a1", "acme's token reads acme's rows");
                return rows;
            },
            SignedControl = async run =>
            {
                await using var globex = await run.OpenAsync(OrdersDatabase.Globex);
                return await run.ReadAsync(globex, Read);
            },
        },
        new("token_of_globex_replayed_on_acme", Outcome.Guard, $"{SetToken}{Read} -- with a token read on globex's lease")
        {
            // The replay window: a token grants what the lease it was read on could read, to whoever holds it, until it
            // expires (5 minutes by default). Here the attacker had SQL on globex's lease already.
            Undefended = true,
            Kind = "set_config",
            WithGuardOff = Outcome.KnownLimit,
            Script = async run =>
            {
                List<string> token;
                await using (var globex = await run.OpenAsync(OrdersDatabase.Globex))
                {
                    token = await run.ReadAsync(globex, "select current_setting('dapper_tenants.tenant')");
                }

                return await run.ReadAsync(run.Acme, SetToken + Read, new { token = token.Single() });
            },
        },
        new("escape_hatch_InnerConnection", Outcome.KnownLimit, $"select set_config('dapper_tenants.tenant', 'globex', false) is null; {Read}")
        {
            // Documented as unguarded: in the unsigned mode it reaches any tenant; under the signed context, nothing.
            Undefended = true,
            Via = Via.InnerConnection,
            WithSignedContext = Outcome.NoForeignRows,
            WithGuardOff = Outcome.NoForeignRows,
        },
        new("escape_hatch_InnerConnection_without_a_context", Outcome.NoForeignRows, Read) { Via = Via.InnerConnection },
    ];

    /// <summary>A valid token of globex, freshly signed with the installed key.</summary>
    private static string Valid() => SignedDatabase.Minter().TokenFor(OrdersDatabase.Globex);

    /// <summary>The token with its field <paramref name="index"/> (0 = version … 5 = mac) changed.</summary>
    private static string Field(string token, int index, Func<string, string> change)
    {
        var fields = token.Split('.');
        fields[index] = change(fields[index]);
        return string.Join('.', fields);
    }

    /// <summary>acme's lease sets the setting to a bad token of globex and reads: nothing; the control sends a valid one.</summary>
    private static AttackCase Token(string name, Func<TenantConnection, string> forge) => new(name, Outcome.Guard, $"{SetToken}{Read} -- {name}")
    {
        Kind = "set_config",
        Control = string.Empty,
        Script = run => run.ReadAsync(run.Acme, SetToken + Read, new { token = forge(run.Acme) }),
        SignedControl = run => run.ReadAsync(run.Acme, SetToken + Read, new { token = Valid() }),
    };
}
