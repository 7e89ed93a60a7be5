/* Fixture for scripts/coccinelle/api/dma_unmap_sg_nents.cocci: b, c3, e and f must not be reported. */
static int a(struct device *dev, struct scatterlist *sg, int nents)
{
	int count = dma_map_sg(dev, sg, nents, DMA_TO_DEVICE);

	if (!count)
		return -ENOMEM;
	dma_sync_sg_for_device(dev, sg, count, DMA_TO_DEVICE);
	dma_unmap_sg(dev, sg, count, DMA_TO_DEVICE);
	return 0;
}
static int b(struct device *dev, struct scatterlist *sg, int nents)
{
	int count = dma_map_sg(dev, sg, nents, DMA_TO_DEVICE);

	if (!count)
		return -ENOMEM;
	dma_unmap_sg(dev, sg, nents, DMA_TO_DEVICE);
	return 0;
}
static int c(struct device *dev, struct req *r)
{
	r->mapped = dma_map_sg(dev, r->sg, r->nents, DMA_TO_DEVICE);
	if (!r->mapped)
		return -ENOMEM;
	return 0;
}
static void c2(struct device *dev, struct req *r)
{
	dma_unmap_sg(dev, r->sg, r->mapped, DMA_TO_DEVICE);
}
static void c3(struct device *dev, struct req *r)
{
	dma_unmap_sg(dev, r->sg, r->nents, DMA_TO_DEVICE);
}
static int d(struct device *dev, struct scatterlist *sg, int nents)
{
	nents = dma_map_sg(dev, sg, nents, DMA_TO_DEVICE);
	dma_unmap_sg(dev, sg, nents, DMA_TO_DEVICE);
	return 0;
}
static int e(struct device *dev, struct scatterlist *sg, int nents)
{
	int n = dma_map_sg_attrs(dev, sg, nents, DMA_TO_DEVICE, 0);
	n = nents;
	dma_unmap_sg(dev, sg, n, DMA_TO_DEVICE);
	return 0;
}
static int f(struct device *dev, struct scatterlist *sg,
	     struct scatterlist *other, int nents)
{
	int count = dma_map_sg(dev, sg, nents, DMA_TO_DEVICE);

	dma_unmap_sg(dev, other, count, DMA_TO_DEVICE);
	return 0;
}
