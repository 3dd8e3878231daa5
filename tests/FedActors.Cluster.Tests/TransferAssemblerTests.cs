using FedActors.Cluster.Protocol;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Tests;

/// <summary>Chunked transfers: whole messages back, and every way a transfer breaks named.</summary>
public sealed class TransferAssemblerTests
{
    private static readonly ClientId Client = new("client-7");
    private static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Chunks_InOrder_GiveBackTheWholeMessage()
    {
        // given a 10,000-byte message cut into 1 KiB chunks
        var bytes = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        var chunks = Chunking.Split(Guid.NewGuid(), Client, "FR", bytes, chunkSize: 1024);
        var assembler = new TransferAssembler();

        // when they arrive in order
        var outcomes = chunks.Select(c => assembler.Add(c, Now)).ToList();

        // then only the last completes the message, with the same bytes, client and manifest
        Assert.Equal(10, chunks.Count);
        Assert.All(outcomes.Take(9), Assert.Null);
        var done = Assert.IsType<TransferCompleted>(outcomes[^1]);
        Assert.Equal(bytes, done.Bytes);
        Assert.Equal(("FR", Client), (done.Manifest, done.Client));
        Assert.Equal(0, assembler.PendingCount);
    }

    [Fact]
    public void AChunk_WithAFlippedByte_BreaksItsTransferNamingTheChunk()
    {
        // given the second of three chunks with one byte changed after its checksum was taken
        var chunks = Chunking.Split(Guid.NewGuid(), Client, "FR", new byte[3000], chunkSize: 1024);
        var corrupted = chunks[1].Data.ToArray();
        corrupted[5] ^= 0x40;
        var assembler = new TransferAssembler();
        assembler.Add(chunks[0], Now);

        // when it arrives
        var outcome = assembler.Add(chunks[1] with { Data = corrupted }, Now);

        // then the transfer is broken, naming the chunk and the corruption, nothing of it is kept,
        // and its last chunk is passed over rather than reported again
        var broken = Assert.IsType<TransferBroken>(outcome);
        Assert.Equal(Client, broken.Client);
        Assert.Contains("chunk 1 of 3 is corrupted", broken.Reason);
        Assert.Equal(0, assembler.PendingCount);
        Assert.Null(assembler.Add(chunks[2], Now));
    }

    [Fact]
    public void Chunks_OutOfOrder_BreakTheTransfer()
    {
        // given three chunks, the third arriving before the second
        var chunks = Chunking.Split(Guid.NewGuid(), Client, "FR", new byte[3000], chunkSize: 1024);
        var assembler = new TransferAssembler();
        assembler.Add(chunks[0], Now);

        // when the third comes
        var broken = Assert.IsType<TransferBroken>(assembler.Add(chunks[2], Now));

        // then the transfer is broken as reordered or lost
        Assert.Contains("chunk 2 of 3 arrived where chunk 1 was expected", broken.Reason);
    }

    [Fact]
    public void ATransfer_WithoutItsFirstChunk_IsBrokenAtOnce()
    {
        // given a transfer whose first chunk never came
        var chunks = Chunking.Split(Guid.NewGuid(), Client, "FR", new byte[3000], chunkSize: 1024);

        // when its second arrives
        var broken = Assert.IsType<TransferBroken>(new TransferAssembler().Add(chunks[1], Now));

        // then it is broken, saying chunk 0 was expected
        Assert.Contains("where chunk 0 was expected", broken.Reason);
    }

    [Fact]
    public void ATransfer_CutShort_ExpiresAfterItsTimeoutNamingWhatArrived()
    {
        // given two of three chunks, and another transfer still under way
        var chunks = Chunking.Split(Guid.NewGuid(), Client, "FR", new byte[3000], chunkSize: 1024);
        var other = Chunking.Split(Guid.NewGuid(), new ClientId("client-8"), "FR", new byte[3000], chunkSize: 1024);
        var assembler = new TransferAssembler();
        assembler.Add(chunks[0], Now);
        assembler.Add(chunks[1], Now);
        assembler.Add(other[0], Now.AddSeconds(50));

        // when 60 s pass after the truncated one's last chunk
        var expired = assembler.Expire(Now.AddSeconds(61), TimeSpan.FromSeconds(60));

        // then it alone is abandoned, as truncated, and the other goes on
        var broken = Assert.Single(expired);
        Assert.Equal(Client, broken.Client);
        Assert.Contains("2 of its 3 chunks arrived", broken.Reason);
        Assert.Equal(1, assembler.PendingCount);
    }

    [Fact]
    public void AChunk_ThatDisagreesWithItsTransfer_BreaksIt()
    {
        // given a transfer's second chunk that claims another client
        var chunks = Chunking.Split(Guid.NewGuid(), Client, "FR", new byte[3000], chunkSize: 1024);
        var assembler = new TransferAssembler();
        assembler.Add(chunks[0], Now);

        // when it arrives
        var broken = Assert.IsType<TransferBroken>(assembler.Add(chunks[1] with { Client = new ClientId("client-9") }, Now));

        // then the transfer is broken
        Assert.Contains("disagrees with the transfer's first chunk", broken.Reason);
    }
}
