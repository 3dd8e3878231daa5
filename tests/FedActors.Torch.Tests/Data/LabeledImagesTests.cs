using FedActors.Torch.Data;

namespace FedActors.Torch.Tests.Data;

public sealed class LabeledImagesTests
{
    [Fact]
    public void WithLabels_ForALabelFlippingAttack_MapsEveryLabelAndKeepsThePixels()
    {
        // given three 1x2 images labelled 0, 3 and 9
        var images = new LabeledImages([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f], [0, 3, 9], height: 1, width: 2);

        // when the labels are flipped y -> 9 - y
        var flipped = images.WithLabels(y => (byte)(9 - y));

        // then the labels are 9, 6, 0 and the images are the same, unchanged in the original
        Assert.Equal([9, 6, 0], flipped.Labels.ToArray());
        Assert.Equal(images.Pixels.ToArray(), flipped.Pixels.ToArray());
        Assert.Equal([0, 3, 9], images.Labels.ToArray());
    }
}
