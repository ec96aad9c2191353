using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using DapperTenants.Catalog;
using DapperTenants.Connections;
using DapperTenants.Policies;
using DapperTenants.Tests.Support;

namespace DapperTenants.Tests.Signed;

/// <summary>The token's format, its MAC, the cache and its renewal, and what the minter refuses. No database.</summary>
[Category(Categories.Unit)]
public sealed class TokenMinterTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public void A_token_has_six_fields_in_a_safe_alphabet_and_the_tenant_as_utf8_hex()
    {
        var minter = SignedDatabase.Minter(time: new ManualClock(Start));

        var token = minter.TokenFor("Ünï 'x'; --");

        var fields = token.Split('.');
        fields.Length.ShouldBe(6);
        fields[0].ShouldBe("v1");
        fields[1].ShouldBe("default");
        fields[2].ShouldBe((Start.ToUnixTimeSeconds() + 300).ToString(CultureInfo.InvariantCulture));
        fields[3].ShouldBe("0");
        fields[4].ShouldBe(Convert.ToHexStringLower(Encoding.UTF8.GetBytes("Ünï 'x'; --")));
        fields[5].Length.ShouldBe(64);
        token.ShouldAllBe(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.');
    }

    [Test]
    public void The_verifier_checks_the_shape_the_minter_writes_and_the_names_both_sides_share()
    {
        var tokens = new[] { "acme", "Ünï 'x'; --", new string('z', 4096) }
            .Select(t => SignedDatabase.Minter(keyId: "k2026_05").TokenFor(t, int.MaxValue)).ToList();

        tokens.ShouldAllBe(t => Regex.IsMatch(t, SignedContextSql.TokenPattern) && t.Length <= SignedContextNames.MaxTokenLength);
        foreach (var body in new[] { SignedContextSql.VerifierBody, SignedContextSql.DiagnosticBody })
        {
            body.ShouldContain($"'{SignedContextSql.TokenPattern}'");
            body.ShouldContain(SignedContextNames.QualifiedKeyTable + " ");
            body.ShouldContain($"OPERATOR(pg_catalog.>) {SignedContextNames.MaxTokenLength}");
        }
    }

    [Test]
    public void The_mac_is_hmac_sha256_over_the_setting_a_colon_and_the_token_without_its_mac()
    {
        var minter = SignedDatabase.Minter(setting: "app.tenant_id", time: new ManualClock(Start));

        var token = minter.TokenFor("acme");

        var payload = token[..token.LastIndexOf('.')];
        var expected = HMACSHA256.HashData(SignedDatabase.Key, Encoding.ASCII.GetBytes("app.tenant_id:" + payload));
        token[(token.LastIndexOf('.') + 1)..].ShouldBe(Convert.ToHexStringLower(expected));
    }

    [Test]
    public void A_bound_token_names_its_backend_and_is_cached_apart_from_the_unbound_one()
    {
        var minter = SignedDatabase.Minter(time: new ManualClock(Start));

        var bound = minter.TokenFor("acme", 4242);
        var unbound = minter.TokenFor("acme");

        bound.Split('.')[3].ShouldBe("4242");
        unbound.Split('.')[3].ShouldBe("0");
        minter.TokenFor("acme", 4242).ShouldBeSameAs(bound);
        minter.TokenFor("acme", 4243).ShouldNotBe(bound);
    }

    [Test]
    public void The_same_token_instance_is_returned_until_half_its_lifetime_is_gone_then_a_fresh_one()
    {
        var clock = new ManualClock(Start);
        var minter = SignedDatabase.Minter(time: clock);
        var first = minter.TokenFor("acme");

        clock.Now = Start.AddSeconds(149);
        var beforeRenewal = minter.TokenFor("acme");
        clock.Now = Start.AddSeconds(150);
        var renewed = minter.TokenFor("acme");

        beforeRenewal.ShouldBeSameAs(first);
        renewed.ShouldNotBe(first);
        renewed.Split('.')[2].ShouldBe((Start.ToUnixTimeSeconds() + 450).ToString(CultureInfo.InvariantCulture));
        minter.TokenFor("acme").ShouldBeSameAs(renewed);
    }

    [Test]
    public void Get_reports_the_expiry_and_the_renewal_time()
    {
        var minter = SignedDatabase.Minter(time: new ManualClock(Start.AddMilliseconds(700)));

        var token = minter.Get("acme");

        token.ExpiresAt.ShouldBe(Start.AddSeconds(300));
        token.RenewAt.ShouldBe(Start.AddSeconds(150));
    }

    [Test]
    public void A_cache_hit_allocates_nothing()
    {
        var minter = SignedDatabase.Minter();
        minter.TokenFor("acme");
        minter.TokenFor("acme", 77);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            minter.TokenFor("acme");
            minter.TokenFor("acme", 77);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
    }

    [Test]
    public void The_cache_starts_over_when_full()
    {
        var minter = SignedDatabase.Minter(time: new ManualClock(Start));
        var first = minter.TokenFor("tenant-0");
        for (var i = 1; i <= TenantTokenMinter.MaxCachedTokens; i++)
        {
            minter.TokenFor("tenant-" + i.ToString(CultureInfo.InvariantCulture));
        }

        var again = minter.TokenFor("tenant-0");

        again.ShouldBe(first, "same clock, same token");
        again.ShouldNotBeSameAs(first, "signed again: the full cache was cleared");
    }

    [Test]
    public void Concurrent_callers_get_valid_tokens_for_their_own_tenant()
    {
        var minter = SignedDatabase.Minter();
        var tenants = Enumerable.Range(0, 64).Select(i => "t" + i.ToString(CultureInfo.InvariantCulture)).ToArray();

        var wrong = 0;
        Parallel.For(0, 20_000, i =>
        {
            var tenant = tenants[i % tenants.Length];
            if (minter.TokenFor(tenant).Split('.')[4] != Convert.ToHexStringLower(Encoding.UTF8.GetBytes(tenant)))
            {
                Interlocked.Increment(ref wrong);
            }
        });

        wrong.ShouldBe(0);
    }

    [TestCase("", "A tenant to sign cannot be empty. (Parameter 'tenant')")]
    [TestCase("a\0b", "A tenant to sign cannot contain NUL: PostgreSQL text cannot hold it. (Parameter 'tenant')")]
    public void A_tenant_that_cannot_be_signed_is_refused(string tenant, string message)
    {
        var minter = SignedDatabase.Minter();

        Should.Throw<ArgumentException>(() => minter.TokenFor(tenant)).Message.ShouldBe(message);
    }

    [Test]
    public void A_tenant_with_an_unpaired_surrogate_is_refused()
    {
        var minter = SignedDatabase.Minter();
        var tenant = "a" + (char)0xD800;

        Should.Throw<ArgumentException>(() => minter.TokenFor(tenant)).Message
            .ShouldBe("A tenant to sign cannot contain an unpaired surrogate: it has no UTF-8 form. (Parameter 'tenant')");
    }

    [Test]
    public void A_tenant_over_4096_utf8_bytes_is_refused()
    {
        var minter = SignedDatabase.Minter();

        Should.NotThrow(() => minter.TokenFor(new string('é', 2048)));
        Should.Throw<ArgumentException>(() => minter.TokenFor(new string('é', 2049))).Message
            .ShouldBe("A tenant to sign is 4098 UTF-8 bytes; the signed context carries at most 4096. (Parameter 'tenant')");
    }

    [Test]
    public void A_short_key_or_a_bad_key_id_is_refused_with_the_fix()
    {
        Should.Throw<ArgumentException>(() => SignedDatabase.Minter(new byte[31])).Message.ShouldBe(
            "The signing key is 31 bytes; a signing key needs at least 32 bytes (256 bits). Generate one with RandomNumberGenerator.GetBytes(32), "
            + "keep it in a secret store, and give the same key to TenantOptions.SigningKey and PolicyInstaller.UseSignedContext. (Parameter 'key')");
        Should.Throw<ArgumentException>(() => SignedDatabase.Minter(keyId: "Key-1")).Message.ShouldBe(
            "The signing key id 'Key-1' is not valid: use 1 to 32 lower case letters, digits and underscores, such as 'default' or 'k2026_05'. (Parameter 'keyId')");
    }

    [Test]
    public void The_minter_copies_the_key()
    {
        var key = SignedDatabase.Key.ToArray();
        var minter = SignedDatabase.Minter(key, time: new ManualClock(Start));
        var before = minter.Mint("acme", 0, 1);

        key[0] ^= 0xff;

        minter.Mint("acme", 0, 1).ShouldBe(before);
    }

    [Test]
    public void Create_returns_no_minter_without_a_key_and_one_with_the_options_key_id_setting_and_lifetime()
    {
        TenantTokenMinter.Create(new TenantOptions()).ShouldBeNull();

        var minter = TenantTokenMinter.Create(new TenantOptions
        {
            SigningKey = SignedDatabase.Key,
            SigningKeyId = "k2",
            SettingName = "app.tenant",
            SigningTokenLifetime = TimeSpan.FromSeconds(90),
        }).ShouldNotBeNull();

        (minter.KeyId, minter.SettingName, minter.Lifetime).ShouldBe(("k2", "app.tenant", TimeSpan.FromSeconds(90)));
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
